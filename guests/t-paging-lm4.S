/* t-paging-lm4.S - 4-level paging (t-paging-lm.inc). */
        .set LA57, 0
        .include "t-paging-lm.inc"
