// SPDX-License-Identifier: MIT
/*
 * numa.c - system RAM composed of one backend per guest NUMA node, each
 * bound to host nodes with the kernel's memory policy (mbind), as seed 002
 * describes QEMU's memory_region_allocate_system_memory.  mbind is called
 * through syscall(2) so that no libnuma is needed.
 */
#define _GNU_SOURCE
#include "base.h"
#include "region-int.h"
#include "ramblock-int.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_MF_STRICT (1 << 0)
#define MPOL_MF_MOVE (1 << 1)

static int bind_memory(void *host, uint64_t len, int policy, uint64_t nodes)
{
    unsigned long mask = (unsigned long)nodes;
    /* maxnode counts bits, plus one (the kernel's off-by-one). */
    long r = syscall(SYS_mbind, host, (unsigned long)len, policy, &mask,
                     (unsigned long)(sizeof(mask) * 8 + 1),
                     MPOL_MF_STRICT | MPOL_MF_MOVE);
    return r == 0 ? 0 : -errno;
}

static int check_nodes(uint64_t ram_size, const GmNumaNode *nodes, unsigned nr,
                       Error **errp)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < nr; i++) {
        MemoryRegion *b = nodes[i].backend;
        if (!gm__mr_valid(b) || !b->ram_block) {
            return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                                 "NUMA node %u: the memory backend is not "
                                 "initialised RAM",
                                 i);
        }
        if (b->container) {
            return gm_error_setg(errp, GM_ERR_IN_USE,
                                 "memory backend '%s' is used multiple times "
                                 "(already mapped in '%s'); each NUMA node "
                                 "needs its own",
                                 memory_region_name(b),
                                 memory_region_name(b->container));
        }
        for (unsigned k = 0; k < i; k++) {
            if (nodes[k].backend == b) {
                return gm_error_setg(errp, GM_ERR_IN_USE,
                                     "memory backend '%s' is used multiple "
                                     "times (NUMA nodes %u and %u); each "
                                     "NUMA node needs its own",
                                     memory_region_name(b), k, i);
            }
        }
        if (nodes[i].policy < GM_MPOL_DEFAULT ||
            nodes[i].policy > GM_MPOL_INTERLEAVE) {
            return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                                 "NUMA node %u: unknown policy %d", i,
                                 nodes[i].policy);
        }
        uint64_t size = memory_region_size(b);
        if (size > UINT64_MAX - total) {
            return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                                 "the NUMA nodes hold 2^64 bytes or more, "
                                 "but RAM is 0x%" PRIx64,
                                 ram_size);
        }
        total += size;
    }
    if (total != ram_size) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "the NUMA nodes hold 0x%" PRIx64 " bytes, but "
                             "RAM is 0x%" PRIx64,
                             total, ram_size);
    }
    return 0;
}

bool gm_memory_region_allocate_system_memory(MemoryRegion *mr, Object *owner,
                                             const char *name,
                                             uint64_t ram_size,
                                             const GmNumaNode *nodes,
                                             unsigned nr_nodes, Error **errp)
{
    if (!mr || (nr_nodes && !nodes)) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "allocate_system_memory: region or nodes NULL");
        return false;
    }
    if (!nr_nodes) {
        return memory_region_init_ram(mr, owner, name, ram_size, errp);
    }
    if (check_nodes(ram_size, nodes, nr_nodes, errp)) {
        return false;
    }
    /* Policies first: a refusal must leave nothing mapped. */
    for (unsigned i = 0; i < nr_nodes; i++) {
        if (!nodes[i].host_nodes && nodes[i].policy == GM_MPOL_DEFAULT) {
            continue;
        }
        RAMBlock *rb = nodes[i].backend->ram_block;
        int r = bind_memory(rb->host, rb->max_length, nodes[i].policy,
                            nodes[i].host_nodes);
        if (r) {
            gm_error_setg(errp, GM_ERR_UNSUPPORTED,
                          "NUMA node %u: the host refuses policy %d on host "
                          "nodes 0x%" PRIx64 ": %s",
                          i, nodes[i].policy, nodes[i].host_nodes,
                          strerror(-r));
            for (unsigned k = 0; k < i; k++) {
                RAMBlock *kb = nodes[k].backend->ram_block;
                bind_memory(kb->host, kb->max_length, GM_MPOL_DEFAULT, 0);
            }
            return false;
        }
    }
    memory_region_init(mr, owner, name, ram_size);
    memory_region_transaction_begin();
    hwaddr addr = 0;
    for (unsigned i = 0; i < nr_nodes; i++) {
        MemoryRegion *b = nodes[i].backend;
        memory_region_add_subregion(mr, addr, b);
        addr += memory_region_size(b);
    }
    memory_region_transaction_commit();
    return true;
}
