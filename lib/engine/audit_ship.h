/* Where audit records go besides (or instead of) the JSON Lines file:
 * syslog and the systemd journal, for fleets whose log pipelines collect
 * them (audit_syslog.c). Engine-internal: audit.c's il_audit_append is the
 * one caller, so every writer (the preload, the broker, the supervisor,
 * `run` itself) ships the same records.
 *
 * Configured in interlock.conf, read at each record (records are rare: one
 * per decision that is not a plain allow):
 *     /etc/interlock/interlock.conf, then
 *     $XDG_CONFIG_HOME/interlock/interlock.conf (~/.config/...), whose keys
 *     replace the system file's
 *
 *     [audit]
 *     to = file syslog          # any of: file (the JSONL log), syslog, journald
 *     facility = auth           # syslog facility (default user)
 *     tag = interlock           # syslog identifier
 *     syslog-socket = /dev/log  # where syslog listens (a unix datagram socket)
 *     journald-socket = /run/systemd/journal/socket
 *
 * Without a file, or without `to`, records go to the file only, as before.
 * Heap-free, raw system calls: this runs inside hooks. */
#ifndef IL_AUDIT_SHIP_H
#define IL_AUDIT_SHIP_H

#include <stddef.h>

#include "il.h"

enum { IL_SHIP_FILE = 1, IL_SHIP_SYSLOG = 2, IL_SHIP_JOURNALD = 4 };

struct il_ship {
	unsigned to;       /* IL_SHIP_* */
	int facility;      /* syslog facility number (LOG_USER >> 3 = 1, ...) */
	char tag[64];
	char syslog_socket[256];
	char journald_socket[256];
};

/* The configuration in force for a process with this environment. */
void il_ship_config(char *const *envp, struct il_ship *s) IL_HIDDEN;

/* Sends one record (a JSON line, with or without its newline) to the
 * syslog and journald destinations s names. 0 if every one took it. */
int il_ship_send(const struct il_ship *s, const char *line, size_t len) IL_HIDDEN;

#endif
