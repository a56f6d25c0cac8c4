/* The confirmation prompt's words (il.h, "prompt"), the same on the
 * wrapper's terminal (cli/confirm/prompt.c) and in a dev shell (the
 * preload asks on the terminal itself): what is shown, and what an answer
 * means. Heap-free. Everything shown that came from the guarded tree is
 * escaped: the tree must not be able to draw on the human's terminal
 * through the prompt. */
#include "il.h"

#define SHOW_MAX 2048 /* bytes of one field shown; the rest is summarized */

/* Length of the UTF-8 sequence at p if it is valid and safe to show, else 0.
 * Unsafe: C1 controls (U+0080..U+009F; some terminals act on them) and the
 * bidirectional overrides, which can make text read differently than it is. */
int il_utf8_safe_len(const unsigned char *p)
{
	int n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || (n == 2 && p[0] < 0xc2) || p[0] > 0xf4)
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
		return 0;
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 0;
	return n;
}

/* Appends untrusted text with everything unprintable shown as \xNN. */
static void sb_safe(struct il_text *s, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	size_t shown = 0, total = il_strlen((const char *)p);
	while (*p && shown < SHOW_MAX) {
		int n = *p >= 0x20 && *p < 0x7f ? 1 : *p >= 0x80 ? il_utf8_safe_len(p) : 0;
		if (n) {
			il_text_put(s, (const char *)p, (size_t)n);
		} else {
			char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
			il_text_put(s, esc, 4);
			n = 1;
		}
		p += n, shown += (size_t)n;
	}
	if (shown < total) {
		il_text_str(s, " ... (");
		il_text_num(s, (unsigned long)(total - shown), 0, 0);
		il_text_str(s, " more bytes)");
	}
}

static void sb_field(struct il_text *s, const char *label, const char *value)
{
	il_text_str(s, label);
	sb_safe(s, value);
	il_text_str(s, "\r\n");
}

size_t il_prompt_text(char *buf, size_t cap, const struct il_prompt_info *in, int timeout_s, int held)
{
	struct il_text s;
	il_text_init(&s, buf, cap);
	if (!cap)
		return 0;
	/* Reset attributes and show the cursor: the agent may have left the
	 * terminal in any state. */
	il_text_str(&s, "\033[0m\033[?25h\r\n\033[1;7m interlock: confirmation required \033[0m  (");
	if (held)
		il_text_str(&s, "the agent's output is held; ");
	il_text_str(&s, "no answer in ");
	il_text_num(&s, (unsigned long)(timeout_s > 0 ? timeout_s : 60), 0, 0);
	il_text_str(&s, " s denies)\r\n");
	sb_field(&s, "  command: ", in->command);
	sb_field(&s, "  why:     ", in->why);
	il_text_str(&s, "  rule:    ");
	sb_safe(&s, in->rule);
	il_text_str(&s, "    profile: ");
	sb_safe(&s, in->profile && *in->profile ? in->profile : "(default)");
	il_text_str(&s, "\r\n");
	sb_field(&s, "  cwd:     ", in->cwd);
	if (in->target && *in->target)
		sb_field(&s, "  target:  ", in->target);
	if (in->chain && *in->chain)
		sb_field(&s, "  process: ", in->chain);
	il_text_str(&s, "Type \"");
	sb_safe(&s, in->word);
	il_text_str(&s, "\" to allow once, \"");
	sb_safe(&s, in->word);
	il_text_str(&s, "!\" to allow for the rest of this session; anything else denies: ");
	buf[s.n] = 0;
	return s.n;
}

enum il_answer il_prompt_decide(const char *typed, const char *word)
{
	/* surrounding blanks are not part of the answer */
	while (*typed == ' ' || *typed == '\t')
		typed++;
	size_t n = il_strlen(typed), w = il_strlen(word);
	while (n && (typed[n - 1] == ' ' || typed[n - 1] == '\t' || typed[n - 1] == '\r' || typed[n - 1] == '\n'))
		n--;
	if (!n)
		return IL_ANS_HUMAN;
	if (n == w && il_strneq(typed, word, w))
		return IL_ANS_ONCE;
	if (n == w + 1 && il_strneq(typed, word, w) && typed[w] == '!')
		return IL_ANS_SESSION;
	return IL_ANS_WRONG_WORD;
}

const char *il_prompt_outcome(enum il_answer a)
{
	switch (a) {
	case IL_ANS_ONCE:
		return "interlock: allowed once.";
	case IL_ANS_SESSION:
		return "interlock: allowed for the rest of this session (the operations it named, and the same rule and target).";
	case IL_ANS_WRONG_WORD:
		return "interlock: denied (that was not the word).";
	case IL_ANS_TIMEOUT:
		return "interlock: denied (no answer in time).";
	case IL_ANS_WITHDRAWN:
		return "interlock: the asking process went away; nothing was allowed.";
	case IL_ANS_NO_TERMINAL:
		return "interlock: denied (the session is ending).";
	default:
		return "interlock: denied.";
	}
}
