#ifndef GWTOP_CNCURSESW_SHIM_H
#define GWTOP_CNCURSESW_SHIM_H

/* SwiftPM drops pkg-config's -D flags: without these, cchar_t, setcchar, add_wch, get_wch are missing. */
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif

#include <locale.h>
#include <langinfo.h>
#include <stdio.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* C globals and macros do not import into Swift 6 cleanly: wrap them as functions. */
static inline WINDOW *gw_stdscr(void) { return stdscr; }
static inline int gw_colors(void) { return COLORS; }
static inline int gw_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t gw_a_normal(void) { return A_NORMAL; }
static inline attr_t gw_a_bold(void) { return A_BOLD; }
static inline attr_t gw_a_dim(void) { return A_DIM; }
static inline attr_t gw_a_underline(void) { return A_UNDERLINE; }
static inline attr_t gw_a_reverse(void) { return A_REVERSE; }
static inline int gw_err(void) { return ERR; }
static inline int gw_key_code_yes(void) { return KEY_CODE_YES; }
static inline int gw_key_up(void) { return KEY_UP; }
static inline int gw_key_down(void) { return KEY_DOWN; }
static inline int gw_key_left(void) { return KEY_LEFT; }
static inline int gw_key_right(void) { return KEY_RIGHT; }
static inline int gw_key_ppage(void) { return KEY_PPAGE; }
static inline int gw_key_npage(void) { return KEY_NPAGE; }
static inline int gw_key_home(void) { return KEY_HOME; }
static inline int gw_key_end(void) { return KEY_END; }
static inline int gw_key_enter(void) { return KEY_ENTER; }
static inline int gw_key_backspace(void) { return KEY_BACKSPACE; }
static inline int gw_key_btab(void) { return KEY_BTAB; }
static inline int gw_key_resize(void) { return KEY_RESIZE; }
static inline int gw_key_mouse(void) { return KEY_MOUSE; }
static inline int gw_key_f0(void) { return KEY_F0; }
static inline mmask_t gw_button1_clicked(void) { return BUTTON1_CLICKED | BUTTON1_PRESSED; }
static inline mmask_t gw_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t gw_button5_pressed(void) { return BUTTON5_PRESSED; }

/* One cell: a wide character string with attributes and a colour pair. */
static inline int gw_put_cell(WINDOW *win, int y, int x, const wchar_t *text, attr_t attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, text, attrs, pair, NULL) == ERR) return ERR;
    return mvwadd_wch(win, y, x, &cell);
}

static inline int gw_get_wch(WINDOW *win, wint_t *out) { return wget_wch(win, out); }

/* The locale's codeset decides UTF-8 glyphs vs ASCII. */
static inline int gw_codeset_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    if (codeset == NULL) return 0;
    return (codeset[0] == 'U' || codeset[0] == 'u') && (codeset[1] == 'T' || codeset[1] == 't') &&
           (codeset[2] == 'F' || codeset[2] == 'f');
}

#endif
