// SPDX-License-Identifier: MIT
/*
 * object.c - reference-counted owners (the part of QOM regions need).
 *
 * Counts are atomic because the last reference on a region's owner can be
 * dropped by the RCU reclamation thread when an old flat view goes away.
 */
#include "base.h"
#include "region-int.h"

Object *gm_object_new(const char *path, bool is_device)
{
    if (!path) {
        return NULL;
    }
    size_t n = strlen(path) + 1;
    Object *obj = malloc(sizeof(*obj) + n);
    if (!obj) {
        return NULL;
    }
    obj->refcount = 1;
    obj->is_device = is_device;
    memcpy(obj->path, path, n);
    return obj;
}

void gm_object_ref(Object *obj)
{
    if (obj) {
        __atomic_add_fetch(&obj->refcount, 1, __ATOMIC_RELAXED);
    }
}

void gm_object_unref(Object *obj)
{
    if (obj && __atomic_sub_fetch(&obj->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
        free(obj);
    }
}

const char *gm_object_path(const Object *obj)
{
    return obj ? obj->path : "";
}

bool gm_object_is_device(const Object *obj)
{
    return obj && obj->is_device;
}

unsigned gm_object_refcount(const Object *obj)
{
    return obj ? (unsigned)__atomic_load_n(&obj->refcount, __ATOMIC_RELAXED)
               : 0;
}
