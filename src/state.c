// SPDX-License-Identifier: MIT
/*
 * state.c - the process-wide state QEMU's API implies, in one place
 * (GmState, state.h): the system memory and I/O regions with their address
 * spaces, the list of address spaces, the transaction depth and pending
 * flags, the listeners, the lineages of views, the update lock, the error
 * handler, the RAM block list and its offset index, the dirty bitmaps, the
 * bounce buffer.  Also RCU thread registration.
 *
 * Initialisation happens on first use (get_system_memory(), or the first
 * address_space_init()); gm_reset() returns everything to the start, except
 * what must outlive it:
 *  - the view generation, which keys threads' cached entries: reused
 *    numbers would let a stale entry match a new view;
 *  - the error handler, the embedder's choice rather than the model's;
 *  - what regions the caller made still use (RAM blocks, their offsets and
 *    dirty bitmaps, the sibling order), and a mapping still held on the
 *    bounce buffer.
 * Variables that are not in GmState, and why:
 *  - per-thread state (gm__rcu_registered here, the access path's entries
 *    gm__fast1 and gm__mru_range, a vCPU thread's kvm_run in
 *    accel/kvm-vcpu.c): one per thread by nature, in TLS;
 *  - rcu_exit_key and rcu_key_once below: the thread-exit hook is made once
 *    per process and must survive gm_reset, since registered threads keep
 *    running;
 *  - error_abort and error_fatal (error.c): QEMU's API names them as
 *    globals whose addresses are the sentinels; error.c's out-of-memory
 *    Error is constant data;
 *  - gm__tsan_grace: an address for ThreadSanitizer annotations only, and
 *    dma.c's TSan-only fence target; neither holds state.
 */
#define _GNU_SOURCE
#include "base.h"
#include "state.h"
#include "view.h"
#include "commit-int.h"
#include "dirty-int.h"
#include "access-int.h"

#include <pthread.h>

/* Statically initialised where a zero is not the start (the locks). */
GmState gm__state = {
    .update_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
    .bounce = { .lock = PTHREAD_MUTEX_INITIALIZER },
};

/* --- RCU registration ----------------------------------------------------
 * liburcu's memb flavour needs every reader thread registered.  guestmem
 * registers a thread the first time it enters the library and unregisters
 * it when the thread exits (a pthread key destructor), so embedders do not
 * have to; explicit calls remain for threads that want to control it. */

__thread bool gm__rcu_registered __attribute__((tls_model("initial-exec")));
#define rcu_registered gm__rcu_registered
static pthread_key_t rcu_exit_key;
static pthread_once_t rcu_key_once = PTHREAD_ONCE_INIT;

static void rcu_thread_exit(void *arg)
{
    (void)arg;
    gm__tlb_thread_exit();
    if (rcu_registered) {
        urcu_memb_unregister_thread();
        rcu_registered = false;
    }
}

static void rcu_make_key(void)
{
    pthread_key_create(&rcu_exit_key, rcu_thread_exit);
}

void gm__rcu_register_slow(void)
{
    if (!rcu_registered) {
        pthread_once(&rcu_key_once, rcu_make_key);
        urcu_memb_register_thread();
        rcu_registered = true;
        pthread_setspecific(rcu_exit_key, (void *)1);
    }
}

/* --- the writer lock (GmState.update_lock) ------------------------------- */

void gm_update_lock(void)
{
    pthread_mutex_lock(&gm__state.update_lock);
}

void gm_update_unlock(void)
{
    pthread_mutex_unlock(&gm__state.update_lock);
}

void gm_rcu_register_thread(void)
{
    gm__rcu_ensure_registered();
}

void gm_rcu_unregister_thread(void)
{
    rcu_thread_exit(NULL);
}

void gm_rcu_read_lock(void)
{
    gm__rcu_ensure_registered();
    urcu_memb_read_lock();
}

void gm_rcu_read_unlock(void)
{
    gm_tsan_reader_done();
    urcu_memb_read_unlock();
}

#ifdef GM_TSAN
char gm__tsan_grace;
#endif

/* --- system memory and I/O ----------------------------------------------- */

/* The port-I/O root answers unassigned reads with all ones and ignores
 * writes, as the ISA bus does (QEMU's unassigned_io_ops). */
static uint64_t unassigned_io_read(void *opaque, hwaddr addr, unsigned size)
{
    return ~UINT64_C(0);
}

static void unassigned_io_write(void *opaque, hwaddr addr, uint64_t data,
                                unsigned size)
{
}

/* Creates system memory and I/O with their address spaces on first use.
 * Out of memory, it undoes what it made, reports the error and returns
 * false; a later call tries again. */
static bool memory_map_init(void)
{
    if (gm__state.memory_inited) {
        return true;
    }
    gm__state.memory_inited = true;
    gm__state.unassigned_io_ops = (MemoryRegionOps){
        .read = unassigned_io_read,
        .write = unassigned_io_write,
        .endianness = DEVICE_NATIVE_ENDIAN,
    };
    memory_region_init(&gm__state.system_memory, NULL, "system", UINT64_MAX);
    memory_region_init_io(&gm__state.system_io, NULL,
                          &gm__state.unassigned_io_ops, NULL, "io", 65536);
    Error *err = NULL;
    bool mem_ok = !gm_address_space_init(
        &gm__state.as_memory, &gm__state.system_memory, "memory", &err);
    if (mem_ok && !gm_address_space_init(&gm__state.as_io, &gm__state.system_io,
                                         "I/O", &err)) {
        return true;
    }
    if (mem_ok) {
        address_space_destroy(&gm__state.as_memory);
    }
    gm_memory_region_destroy(&gm__state.system_memory, NULL);
    gm_memory_region_destroy(&gm__state.system_io, NULL);
    gm__state.memory_inited = false;
    gm__report(err);
    return false;
}

MemoryRegion *get_system_memory(void)
{
    return memory_map_init() ? &gm__state.system_memory : NULL;
}

MemoryRegion *get_system_io(void)
{
    return memory_map_init() ? &gm__state.system_io : NULL;
}

AddressSpace *gm_address_space_memory(void)
{
    return memory_map_init() ? &gm__state.as_memory : NULL;
}

AddressSpace *gm_address_space_io(void)
{
    return memory_map_init() ? &gm__state.as_io : NULL;
}

void gm_reset(void)
{
    gm__rcu_ensure_registered();
    while (gm__state.as_first) {
        address_space_destroy(gm__state.as_first);
    }
    if (gm__state.memory_inited) {
        gm_memory_region_destroy(&gm__state.system_memory, NULL);
        gm_memory_region_destroy(&gm__state.system_io, NULL);
        gm__state.memory_inited = false;
    }
    gm__lineages_end_all();
    gm__state.transaction_depth = 0;
    gm__state.update_pending = false;
    gm__state.notify_pending = false;
    gm__state.ioeventfd_pending = false;
    gm__state.global_dirty_tracking = 0;
    gm__state.all_marked = false;
    urcu_memb_synchronize_rcu();
    gm_tsan_grace_over();
    urcu_memb_barrier();
    /* No view is left and no reader can see one: with no RAM block left
     * either (regions the caller made may keep theirs), the dirty bitmaps
     * go; the RAM offset index empties itself with its last block. */
    if (cds_list_empty(gm__blocks())) {
        gm__dirty_reset();
    }
    gm__map_reset();
}
