// SPDX-License-Identifier: MIT
/*
 * state.c - the process-wide state QEMU's API implies, in one place: the
 * system memory and I/O regions with their address spaces, the list of
 * address spaces, the transaction depth and pending flag, the error handler
 * and the RAM block list.  Also RCU thread registration.
 *
 * Initialisation happens on first use (get_system_memory(), or the first
 * address_space_init()); gm_reset() returns everything to the start.
 */
#define _GNU_SOURCE
#include "base.h"
#include "state.h"
#include "view.h"
#include "commit-int.h"

#include <pthread.h>

GmState gm__state;

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

/* --- the writer lock ------------------------------------------------------
 * One recursive mutex serialises every topology change (QEMU's big lock);
 * readers never take it. */
static pthread_mutex_t update_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void gm_update_lock(void)
{
    pthread_mutex_lock(&update_lock);
}

void gm_update_unlock(void)
{
    pthread_mutex_unlock(&update_lock);
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

static void memory_map_init(void)
{
    if (gm__state.memory_inited) {
        return;
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
    if (gm_address_space_init(&gm__state.as_memory, &gm__state.system_memory,
                              "memory", NULL) ||
        gm_address_space_init(&gm__state.as_io, &gm__state.system_io, "I/O",
                              NULL)) {
        fprintf(stderr, "guestmem: out of memory creating system memory\n");
        abort();
    }
}

MemoryRegion *get_system_memory(void)
{
    memory_map_init();
    return &gm__state.system_memory;
}

MemoryRegion *get_system_io(void)
{
    memory_map_init();
    return &gm__state.system_io;
}

AddressSpace *gm_address_space_memory(void)
{
    memory_map_init();
    return &gm__state.as_memory;
}

AddressSpace *gm_address_space_io(void)
{
    memory_map_init();
    return &gm__state.as_io;
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
    urcu_memb_synchronize_rcu();
    gm_tsan_grace_over();
    urcu_memb_barrier();
}
