/* SPDX-License-Identifier: MIT */
/*
 * guestmem/guestmem.h - the umbrella header: include this one.
 *
 * guestmem is QEMU's guest memory model as a standalone library: region
 * trees (region.h), address spaces and flat views (address-space.h), IOMMU
 * regions (iommu.h), the access path (access.h) and QEMU's DMA and
 * cpu_physical_memory helpers on it (dma.h), listeners, coalesced
 * MMIO and ioeventfds (listener.h), dirty tracking (dirty.h), RAM blocks
 * and memory backends (ramblock.h), `info mtree` printing, importing and
 * explaining (mtree.h), the PC machine's memory map (machine-pc.h) and
 * devices (pc-board.h), and running guest code on it: the KVM backend
 * (kvm.h) and vCPUs, KVM or software (vcpu.h).  The API keeps
 * QEMU's names and signatures; what guestmem adds is prefixed gm_.
 * The version of these headers is below; the library's is gm_version()
 * (version.h).
 */
#ifndef GUESTMEM_GUESTMEM_H
#define GUESTMEM_GUESTMEM_H

#define GUESTMEM_VERSION_MAJOR 0
#define GUESTMEM_VERSION_MINOR 1
#define GUESTMEM_VERSION_PATCH 0
#define GUESTMEM_VERSION_STRING "0.1.0"

#include <guestmem/version.h>
#include <guestmem/types.h>
#include <guestmem/error.h>
#include <guestmem/object.h>
#include <guestmem/region.h>
#include <guestmem/iommu.h>
#include <guestmem/address-space.h>
#include <guestmem/access.h>
#include <guestmem/dma.h>
#include <guestmem/listener.h>
#include <guestmem/dirty.h>
#include <guestmem/ramblock.h>
#include <guestmem/mtree.h>
#include <guestmem/machine-pc.h>
#include <guestmem/pc-board.h>
#include <guestmem/kvm.h>
#include <guestmem/vcpu.h>
#include <guestmem/mmu.h>

#endif /* GUESTMEM_GUESTMEM_H */
