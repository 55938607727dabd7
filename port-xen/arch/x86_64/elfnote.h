// SPDX-License-Identifier: MIT
/* One Xen ELF note (name "Xen"), for the boot heads' .S files. */
#define ELFNOTE(type, desctype, descdata)           \
    .pushsection .note.Xen, "a", @note;             \
    .balign 4;                                      \
    .long 2f - 1f;                                  \
    .long 4f - 3f;                                  \
    .long type;                                     \
1:  .asciz "Xen";                                   \
2:  .balign 4;                                      \
3:  desctype descdata;                              \
4:  .balign 4;                                      \
    .popsection
