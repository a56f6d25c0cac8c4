/* Where a hooked SQL call goes: the definition the calling object would
 * have reached without us.
 *
 * dlsym(RTLD_NEXT) alone is not enough: python loads _sqlite3 (and with it
 * libsqlite3) with RTLD_LOCAL, out of the global scope RTLD_NEXT searches,
 * and a process may hold two copies of a library (the system's and one a
 * wheel bundles), each called by its own users. So: the global scope after
 * us first, as the loader searches, then the caller's own dependencies.
 * The answer is kept per calling object (a few per function), so a call
 * costs one _dl_find_object and a compare once it is known.
 *
 * The libraries call their own entry points through the global scope too
 * (all three are linked that way: sqlite3_exec prepares through
 * sqlite3_prepare_v2, PQexec sends through PQsendQuery, mysql_real_query
 * through mysql_send_query); such a call inside one we judged is internal.
 *
 * And the dlsym hook: a program that asks the whole program's scope for
 * one of these names (dlsym(RTLD_DEFAULT, "PQexec"), or through
 * dlopen(NULL)'s handle) to learn whether the library is loaded gets the
 * answer it would get without us. It is an assembly entry that jumps to
 * libc's dlsym with the caller's return address untouched, because dlsym
 * resolves RTLD_NEXT, and RTLD_DEFAULT's local scope, from its caller. */
#include <dlfcn.h>
#include <link.h>

#include "preload.h"
#include "sql.h"

/* Arrays, not pointers: no relocation for the loader to apply in every
 * process, which most never call these. */
static const char names[IL_SQL_NFN][28] = {
	[IL_SQLITE_PREPARE] = "sqlite3_prepare",
	[IL_SQLITE_PREPARE_V2] = "sqlite3_prepare_v2",
	[IL_SQLITE_PREPARE_V3] = "sqlite3_prepare_v3",
	[IL_SQLITE_PREPARE16] = "sqlite3_prepare16",
	[IL_SQLITE_PREPARE16_V2] = "sqlite3_prepare16_v2",
	[IL_SQLITE_PREPARE16_V3] = "sqlite3_prepare16_v3",
	[IL_SQLITE_EXEC] = "sqlite3_exec",
	[IL_SQLITE_ERRMSG] = "sqlite3_errmsg",
	[IL_SQLITE_ERRMSG16] = "sqlite3_errmsg16",
	[IL_SQLITE_ERRCODE] = "sqlite3_errcode",
	[IL_SQLITE_EXTENDED_ERRCODE] = "sqlite3_extended_errcode",
	[IL_SQLITE_ERROR_OFFSET] = "sqlite3_error_offset",
	[IL_PQ_EXEC] = "PQexec",
	[IL_PQ_EXEC_PARAMS] = "PQexecParams",
	[IL_PQ_PREPARE] = "PQprepare",
	[IL_PQ_SEND_QUERY] = "PQsendQuery",
	[IL_PQ_SEND_QUERY_PARAMS] = "PQsendQueryParams",
	[IL_PQ_SEND_PREPARE] = "PQsendPrepare",
	[IL_MYSQL_REAL_QUERY] = "mysql_real_query",
	[IL_MYSQL_SEND_QUERY] = "mysql_send_query",
	[IL_MYSQL_STMT_PREPARE] = "mysql_stmt_prepare",
	[IL_SQLITE_DB_FILENAME] = "sqlite3_db_filename",
	[IL_SQLITE_MPRINTF] = "sqlite3_mprintf",
	[IL_PQ_DB] = "PQdb",
	[IL_PQ_HOST] = "PQhost",
	[IL_PQ_PORT] = "PQport",
	[IL_PQ_RESULT_STATUS] = "PQresultStatus",
	[IL_MARIADB_GET_INFOV] = "mariadb_get_infov",
	[IL_MYSQL_GET_HOST_INFO] = "mysql_get_host_info",
};

/* The hooked names with a blank after them (the dlsym hook). */
#define BLANKED(f, name) [f] = name " "
static const char absent_names[IL_SQL_HOOKED][28] = {
	BLANKED(IL_SQLITE_PREPARE, "sqlite3_prepare"),
	BLANKED(IL_SQLITE_PREPARE_V2, "sqlite3_prepare_v2"),
	BLANKED(IL_SQLITE_PREPARE_V3, "sqlite3_prepare_v3"),
	BLANKED(IL_SQLITE_PREPARE16, "sqlite3_prepare16"),
	BLANKED(IL_SQLITE_PREPARE16_V2, "sqlite3_prepare16_v2"),
	BLANKED(IL_SQLITE_PREPARE16_V3, "sqlite3_prepare16_v3"),
	BLANKED(IL_SQLITE_EXEC, "sqlite3_exec"),
	BLANKED(IL_SQLITE_ERRMSG, "sqlite3_errmsg"),
	BLANKED(IL_SQLITE_ERRMSG16, "sqlite3_errmsg16"),
	BLANKED(IL_SQLITE_ERRCODE, "sqlite3_errcode"),
	BLANKED(IL_SQLITE_EXTENDED_ERRCODE, "sqlite3_extended_errcode"),
	BLANKED(IL_SQLITE_ERROR_OFFSET, "sqlite3_error_offset"),
	BLANKED(IL_PQ_EXEC, "PQexec"),
	BLANKED(IL_PQ_EXEC_PARAMS, "PQexecParams"),
	BLANKED(IL_PQ_PREPARE, "PQprepare"),
	BLANKED(IL_PQ_SEND_QUERY, "PQsendQuery"),
	BLANKED(IL_PQ_SEND_QUERY_PARAMS, "PQsendQueryParams"),
	BLANKED(IL_PQ_SEND_PREPARE, "PQsendPrepare"),
	BLANKED(IL_MYSQL_REAL_QUERY, "mysql_real_query"),
	BLANKED(IL_MYSQL_SEND_QUERY, "mysql_send_query"),
	BLANKED(IL_MYSQL_STMT_PREPARE, "mysql_stmt_prepare"),
};

typedef void *(*dlsym_fn)(void *, const char *);
static dlsym_fn libc_dlsym_ptr;

/* libc's dlsym (or the next interposer's), found without our own. */
static dlsym_fn libc_dlsym(void)
{
	dlsym_fn f = __atomic_load_n(&libc_dlsym_ptr, __ATOMIC_ACQUIRE);
	if (!f) {
		f = (dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
#if defined(__x86_64__)
		if (!f)
			f = (dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
#elif defined(__aarch64__)
		if (!f)
			f = (dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.17");
#endif
		__atomic_store_n(&libc_dlsym_ptr, f, __ATOMIC_RELEASE);
	}
	return f;
}

/* The loaded object an address is in (its link map), or NULL. */
static const void *object_of(const void *addr)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 35)
	struct dl_find_object o;
	return _dl_find_object((void *)addr, &o) == 0 ? o.dlfo_link_map : 0;
#else
	Dl_info info;
	struct link_map *m = 0;
	return dladdr1(addr, &info, (void **)&m, RTLD_DL_LINKMAP) && m ? m : 0;
#endif
}

/* name as the object obj's own dependencies define it (itself first). */
static void *in_scope_of(const void *obj, const char *name)
{
	const struct link_map *m = obj;
	if (!m || !m->l_name || !m->l_name[0])
		return 0; /* the program itself: its scope is the global one */
	void *h = dlopen(m->l_name, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return 0;
	void *fn = libc_dlsym()(h, name);
	dlclose(h);
	return fn;
}

/* What a call of name from obj reaches without us: the global scope as
 * the loader searches it (from after us: nothing before us defines it, or
 * the call would not be here), then obj's own dependencies. */
static void *next_for(const void *obj, const char *name)
{
	dlsym_fn d = libc_dlsym();
	void *fn = d ? d(RTLD_NEXT, name) : 0;
	return fn ? fn : in_scope_of(obj, name);
}

/* Per function, the answer for the last few calling objects. A way is
 * claimed once and never changes (programs do not unload their database
 * library); when all are taken the answer is looked up each time. */
#define WAYS 6
struct way {
	const void *key;
	void *fn;
	const void *lib;
	int state; /* 0 free, 1 being filled, 2 ready */
};
/* what a call from an object reaches (il_sql_begin), and a library's own
 * definitions (il_sql_lib_fn): apart, for the two differ when a library
 * calls a name another loaded copy defines first */
static struct way calls[IL_SQL_NFN][WAYS], owns[IL_SQL_NFN][WAYS];

static const struct way *cached(struct way ways[][WAYS], enum il_sql_fn f, const void *key)
{
	for (int i = 0; i < WAYS; i++) {
		const struct way *w = &ways[f][i];
		if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != 2)
			return 0;
		if (w->key == key)
			return w;
	}
	return 0;
}

static void keep(struct way ways[][WAYS], enum il_sql_fn f, const void *key, void *fn, const void *lib)
{
	for (int i = 0; i < WAYS; i++) {
		struct way *w = &ways[f][i];
		int free_state = 0;
		if (__atomic_compare_exchange_n(&w->state, &free_state, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			w->key = key, w->fn = fn, w->lib = lib;
			__atomic_store_n(&w->state, 2, __ATOMIC_RELEASE);
			return;
		}
		if (free_state == 1) /* another thread is filling it: stop here */
			return;
		if (w->key == key)
			return;
	}
}

static __thread int depth __attribute__((tls_model("initial-exec")));

void il_sql_enter(void)
{
	depth++;
}

void il_sql_leave(void)
{
	depth--;
}

int il_sql_begin(enum il_sql_fn f, const void *caller, struct il_sql_call *c)
{
	const void *obj = object_of(caller);
	const struct way *w = obj ? cached(calls, f, obj) : 0;
	if (w) {
		c->fn = w->fn, c->lib = w->lib;
	} else {
		c->fn = next_for(obj, names[f]);
		c->lib = c->fn ? object_of(c->fn) : 0;
		if (c->fn && obj)
			keep(calls, f, obj, c->fn, c->lib);
	}
	c->internal = depth > 0 && obj && obj == c->lib;
	return c->fn ? 0 : -1;
}

void *il_sql_lib_fn(const void *lib, enum il_sql_fn f)
{
	const struct way *w = lib ? cached(owns, f, lib) : 0;
	if (w)
		return w->fn;
	/* the library's own, whatever else the global scope holds */
	void *fn = in_scope_of(lib, names[f]);
	if (!fn) {
		dlsym_fn d = libc_dlsym();
		fn = d ? d(RTLD_DEFAULT, names[f]) : 0;
		if (fn && object_of(fn) == object_of((const void *)il_sql_lib_fn))
			fn = 0; /* our own hook of it */
	}
	if (fn && lib)
		keep(owns, f, lib, fn, lib);
	return fn;
}

/* ---- the dlsym hook ---- */

static int hooked_name(const char *name)
{
	if (name[0] != 's' && name[0] != 'P' && name[0] != 'm')
		return -1;
	for (int f = 0; f < IL_SQL_HOOKED; f++)
		if (il_streq(name, names[f]))
			return f;
	return -1;
}

static void *main_handle;

void *il_dlsym_route(void *handle, const char *name, const void *caller, const char **name_slot) IL_HIDDEN;
void *il_dlsym_route(void *handle, const char *name, const void *caller, const char **name_slot)
{
	dlsym_fn real = libc_dlsym();
	if (!name || handle == RTLD_NEXT)
		return real;
	if (handle != RTLD_DEFAULT) {
		void *m = __atomic_load_n(&main_handle, __ATOMIC_ACQUIRE);
		if (!m) {
			m = dlopen(0, RTLD_LAZY);
			__atomic_store_n(&main_handle, m, __ATOMIC_RELEASE);
		}
		if (handle != m)
			return real;
	}
	int f = hooked_name(name);
	if (f < 0 || next_for(object_of(caller), name))
		return real;
	/* the same name with a blank after it, which no object defines: the
	 * lookup fails and dlerror says so, as without us */
	*name_slot = absent_names[f];
	return real;
}

/* dlsym(handle, name): the route above says where to jump (libc's dlsym,
 * or the next interposer's) and may change the name; the caller's return
 * address stays where dlsym looks for it. */
#if defined(__x86_64__)
__asm__(".text\n"
	".globl dlsym\n"
	".type dlsym, @function\n"
	".p2align 4\n"
	"dlsym:\n"
	"	.cfi_startproc\n"
	"	pushq %rdi\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	pushq %rsi\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	movq 16(%rsp), %rdx\n" /* the caller's return address */
	"	movq %rsp, %rcx\n"     /* where the name is kept */
	"	subq $8, %rsp\n"       /* the call below wants a 16-byte aligned stack */
	"	.cfi_adjust_cfa_offset 8\n"
	"	call il_dlsym_route\n"
	"	addq $8, %rsp\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %rsi\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %rdi\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	jmp *%rax\n"
	"	.cfi_endproc\n"
	".size dlsym, .-dlsym\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl dlsym\n"
	".type dlsym, %function\n"
	".p2align 2\n"
	"dlsym:\n"
	"	.cfi_startproc\n"
	"	stp x29, x30, [sp, #-32]!\n"
	"	.cfi_def_cfa_offset 32\n"
	"	.cfi_offset 29, -32\n"
	"	.cfi_offset 30, -24\n"
	"	mov x29, sp\n"
	"	stp x0, x1, [sp, #16]\n"
	"	mov x2, x30\n"      /* the caller's return address */
	"	add x3, sp, #24\n"  /* where the name is kept */
	"	bl il_dlsym_route\n"
	"	mov x16, x0\n"
	"	ldp x0, x1, [sp, #16]\n"
	"	ldp x29, x30, [sp], #32\n"
	"	.cfi_def_cfa_offset 0\n"
	"	br x16\n"
	"	.cfi_endproc\n"
	".size dlsym, .-dlsym\n");
#endif
