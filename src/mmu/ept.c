// SPDX-License-Identifier: MIT
/*
 * mmu/ept.c - the EPT walk (Intel SDM 29.3): guest-physical to
 * host-physical through 4 or 5 levels of 8-byte entries, 2 MiB and 1 GiB
 * leaves, R/W/X (and XU under mode-based execute control), the leaf's
 * memory type, the accessed and dirty flags of EPTP.AD, and the two exits
 * a walk can end in: an EPT misconfiguration (an entry no CPU accepts,
 * checked first) and an EPT violation (not present, or the rights refuse
 * the access) with its exit qualification.
 *
 * The entries are read from the host's address space through the access
 * path; A/D are set with the same compare-and-exchange as guest entries
 * (walk.c), after the whole walk succeeded, the walk restarting if an
 * entry changed meanwhile.
 */
#include "mmu-internal.h"

#define EPT_MAX_RESTARTS 1000

/* A present entry's misconfiguration, or false. */
static bool misconfigured(const GmEptState *ept, uint64_t e, unsigned level,
                          bool *leaf)
{
    unsigned m = gm__phys_bits(ept->phys_bits);
    bool r = e & GM_EPT_R, w = e & GM_EPT_W;
    bool x = (e & GM_EPT_X) || (ept->mbec && (e & GM_EPT_XU));
    if (w && !r) {
        return true; /* write-only or write-execute */
    }
    if (x && !r && !ept->exec_only) {
        return true; /* execute-only without the capability */
    }
    uint64_t bad = m < 52 ? gm__bits(51, m) : 0;
    bool ps = e & GM_EPT_PS;
    *leaf = level == 1 || (ps && (level == 2 || level == 3));
    if (level >= 4 || (level == 3 && ps && ept->no_1g_pages)) {
        bad |= gm__bits(7, 3);
    } else if (!*leaf) {
        bad |= gm__bits(7, 3);
    } else if (level == 3) {
        bad |= gm__bits(29, 12);
    } else if (level == 2) {
        bad |= gm__bits(20, 12);
    }
    if (e & bad) {
        return true;
    }
    if (*leaf) {
        unsigned mt = (unsigned)((e >> GM_EPT_MT_SHIFT) & 7);
        if (mt == 2 || mt == 3 || mt == 7) {
            return true;
        }
    }
    return false;
}

typedef struct EptUsed {
    uint64_t addr, val;
} EptUsed;

static int ept_once(AddressSpace *host, const GmEptState *ept, uint64_t gpa,
                    unsigned access, bool guest_pt, GmEptWalk *out,
                    GmX86Ref *refs, unsigned cap, unsigned *nrefs)
{
    unsigned levels = (unsigned)((ept->eptp >> 3) & 7) + 1;
    unsigned m = gm__phys_bits(ept->phys_bits);
    uint64_t addr_mask = gm__bits(m - 1, 12);
    bool ad = ept->eptp & GM_EPTP_AD;
    bool write = access & GM_X86_ACC_WRITE;
    bool fetch = access & GM_X86_ACC_FETCH;
    /* With EPT A/D on, guest-paging-structure accesses are writes. */
    bool need_w = write || (guest_pt && ad);
    uint64_t qual = fetch ? GM_EPT_QUAL_FETCH
                    : need_w && guest_pt
                        ? (ad ? GM_EPT_QUAL_READ : 0) | GM_EPT_QUAL_WRITE
                    : write ? GM_EPT_QUAL_WRITE
                            : GM_EPT_QUAL_READ;
    unsigned rights = 15; /* R, W, X, XU */
    EptUsed used[5];
    unsigned nused = 0;
    uint64_t table = ept->eptp & addr_mask;

    for (unsigned l = levels; l >= 1; l--) {
        unsigned shift = 12 + 9 * (l - 1);
        uint64_t a = table + ((gpa >> shift) & 511) * 8;
        if (refs && *nrefs < cap) {
            refs[(*nrefs)++] = (GmX86Ref){ .addr = a,
                                           .kind = GM_X86_REF_EPT,
                                           .level = (uint8_t)l };
        }
        if (out->nrefs < 5) {
            out->refs[out->nrefs++] = (GmX86Ref){ .addr = a,
                                                  .kind = GM_X86_REF_EPT,
                                                  .level = (uint8_t)l };
        }
        uint64_t e = gm__pt_read(host, a, 8, &out->pt_read_error);
        used[nused++] = (EptUsed){ a, e };
        rights &= (unsigned)(e & 7) | (ept->mbec && (e & GM_EPT_XU) ? 8u : 0u);
        bool present = (e & 7) || (ept->mbec && (e & GM_EPT_XU));
        out->fault_level = l;
        if (!present) {
            out->exit_qual =
                qual | ((uint64_t)(rights & 7) << 3) |
                (ept->mbec && (rights & 8) ? GM_EPT_QUAL_USER_EXEC : 0);
            return GM_X86_EPT_VIOLATION;
        }
        bool leaf;
        if (misconfigured(ept, e, l, &leaf)) {
            return GM_X86_EPT_MISCONFIG;
        }
        if (!leaf) {
            table = e & addr_mask;
            continue;
        }
        bool ok = need_w ? (rights & 2) : fetch ? true : (rights & 1);
        if (fetch) {
            bool user = access & GM_X86_ACC_USER;
            ok = ept->mbec && user ? (rights & 8) : (rights & 4);
        }
        if (!ok) {
            out->exit_qual =
                qual | ((uint64_t)(rights & 7) << 3) |
                (ept->mbec && (rights & 8) ? GM_EPT_QUAL_USER_EXEC : 0);
            return GM_X86_EPT_VIOLATION;
        }
        uint64_t size = UINT64_C(1) << shift;
        out->fault_level = 0;
        out->level = l;
        out->page_size = size;
        out->hpa = (e & addr_mask & ~(size - 1)) | (gpa & (size - 1));
        out->memtype = (uint8_t)((e >> GM_EPT_MT_SHIFT) & 7);
        out->ipat = e & GM_EPT_IPAT;
        out->rights = rights;
        out->entry_addr = a;
        if (ad && !(access & GM_X86_ACC_NO_AD)) {
            for (unsigned i = 0; i < nused; i++) {
                uint64_t want = used[i].val | GM_EPT_A;
                if (i == nused - 1 && need_w) {
                    want |= GM_EPT_D;
                }
                if (want != used[i].val) {
                    if (!gm__pt_update(host, used[i].addr, 8, used[i].val,
                                       want)) {
                        return -1; /* changed under us: again */
                    }
                    used[i].val = want;
                }
            }
        }
        out->entry = used[nused - 1].val;
        return GM_X86_OK;
    }
    return GM_X86_EPT_MISCONFIG; /* not reached */
}

int gm__ept_walk(AddressSpace *host, const GmEptState *ept, uint64_t gpa,
                 unsigned access, bool guest_pt, GmEptWalk *out, GmX86Ref *refs,
                 unsigned cap, unsigned *nrefs)
{
    unsigned start = nrefs ? *nrefs : 0;
    for (unsigned tries = 0;; tries++) {
        memset(out, 0, sizeof(*out));
        out->gpa = gpa;
        if (nrefs) {
            *nrefs = start;
        }
        int r =
            ept_once(host, ept, gpa, access, guest_pt, out, refs, cap, nrefs);
        if (r >= 0) {
            return r;
        }
        if (tries == EPT_MAX_RESTARTS) {
            access |= GM_X86_ACC_NO_AD;
        }
    }
}

int gm_ept_translate(AddressSpace *host, const GmEptState *ept, uint64_t gpa,
                     unsigned access, GmEptWalk *out)
{
    if (!host || !ept || !out || gm__x86_access_bad(access)) {
        return -GM_ERR_INVALID_ARG;
    }
    unsigned len = (unsigned)((ept->eptp >> 3) & 7) + 1;
    if (len != 4 && len != 5) {
        return -GM_ERR_INVALID_ARG;
    }
    return gm__ept_walk(host, ept, gpa, access, false, out, NULL, 0, NULL);
}
