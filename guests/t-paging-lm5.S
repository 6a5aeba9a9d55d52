/* t-paging-lm5.S - 5-level paging (t-paging-lm.inc). */
        .set LA57, 1
        .include "t-paging-lm.inc"
