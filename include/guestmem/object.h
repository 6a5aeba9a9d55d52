/* SPDX-License-Identifier: MIT */
/*
 * guestmem/object.h - owners of memory regions.
 *
 * In QEMU every MemoryRegion has an owner, a QOM Object (usually the device
 * that created it), and using a region keeps its owner alive.  guestmem has
 * no QOM; an Object here is a small reference-counted handle with a path
 * name, enough for QEMU's lifetime rule ("a region in use pins its owner")
 * and for `info mtree -o`.  Regions created with a NULL owner are orphans, as
 * in QEMU.
 */
#ifndef GUESTMEM_OBJECT_H
#define GUESTMEM_OBJECT_H

#include <guestmem/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Object: a reference-counted owner.  Opaque. */
typedef struct Object Object;

/**
 * gm_object_new: create an owner called @path (copied), with one reference.
 * @path: a QOM-style path such as "/machine/i440fx"; must not be NULL.
 * @is_device: true for a device (printed "dev" by `info mtree -o`), false
 *             for any other object ("obj").
 * Ownership: the caller holds the reference; drop it with gm_object_unref().
 * Return: the new object, or NULL if @path is NULL or memory ran out.
 * Context: any thread.
 */
GM_API Object *gm_object_new(const char *path, bool is_device);

/** gm_object_ref: take a reference on @obj (NULL: no-op). Context: any thread. */
GM_API void gm_object_ref(Object *obj);

/**
 * gm_object_unref: drop a reference on @obj; the last one frees it.
 * NULL is a no-op.  Context: any thread.
 */
GM_API void gm_object_unref(Object *obj);

/** gm_object_path: the path given at creation, owned by @obj. */
GM_API const char *gm_object_path(const Object *obj);

/** gm_object_is_device: whether @obj was created as a device. */
GM_API bool gm_object_is_device(const Object *obj);

/** gm_object_refcount: the current number of references (for tests). */
GM_API unsigned gm_object_refcount(const Object *obj);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_OBJECT_H */
