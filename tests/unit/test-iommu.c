// SPDX-License-Identifier: MIT
/*
 * test-iommu.c - IOMMU regions and notifiers (iommu.c).
 */
#include "../harness/test.h"

typedef struct TestIommu {
    IOMMUMemoryRegion iommu;
    IOMMUNotifierFlag flags_seen;
    int refuse;
} TestIommu;

static IOMMUTLBEntry translate(IOMMUMemoryRegion *iommu, hwaddr addr,
                               IOMMUAccessFlags flag, int idx)
{
    IOMMUTLBEntry e = { NULL, addr & ~0xfffULL, 0x100000 + (addr & ~0xfffULL),
                        0xfff, IOMMU_RW };
    return e;
}

static int flag_changed(IOMMUMemoryRegion *iommu, IOMMUNotifierFlag old,
                        IOMMUNotifierFlag new, Error **errp)
{
    TestIommu *t = (TestIommu *)iommu;
    if (t->refuse) {
        return gm_error_setg(errp, GM_ERR_UNSUPPORTED, "refused");
    }
    t->flags_seen = new;
    return 0;
}

static const IOMMUMemoryRegionOps iommu_ops = {
    .translate = translate,
    .notify_flag_changed = flag_changed,
};

static int calls;
static hwaddr last_iova;

static void notify(IOMMUNotifier *n, IOMMUTLBEntry *e)
{
    calls++;
    last_iova = e->iova;
}

TEST(init_and_kind)
{
    static TestIommu t;
    static const IOMMUMemoryRegionOps bad = { 0 };
    Error *err = NULL;
    ASSERT_EQ(
        gm_memory_region_init_iommu(&t.iommu, NULL, &bad, "x", 0x1000, &err),
        -GM_ERR_INVALID_ARG);
    error_free(err);
    ASSERT_EQ(gm_memory_region_init_iommu(&t.iommu, NULL, &iommu_ops, "dmar",
                                          UINT64_MAX, NULL),
              0);
    MemoryRegion *mr = &t.iommu.parent_obj;
    ASSERT(memory_region_is_iommu(mr));
    ASSERT(memory_region_get_iommu(mr) == &t.iommu);
    ASSERT_STR_EQ(gm_memory_region_type(mr), "i/o");
    ASSERT_EQ(memory_region_iommu_num_indexes(&t.iommu), 1);
    static MemoryRegion root;
    static AddressSpace as;
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_add_subregion(&root, 0, mr);
    address_space_init(&as, &root, "dma");
    char *r = test_ranges(&as);
    ASSERT_STR_EQ(r, "0-ffffffffffffffff dmar@0\n"); /* a leaf */
    free(r);
}

TEST(notifiers)
{
    static TestIommu t;
    ASSERT_EQ(gm_memory_region_init_iommu(&t.iommu, NULL, &iommu_ops, "dmar",
                                          UINT64_MAX, NULL),
              0);
    MemoryRegion *mr = &t.iommu.parent_obj;
    IOMMUNotifier map_n, unmap_n, bad;
    iommu_notifier_init(&map_n, notify, IOMMU_NOTIFIER_MAP, 0, 0xffff, 0);
    iommu_notifier_init(&unmap_n, notify, IOMMU_NOTIFIER_UNMAP, 0x10000,
                        0x1ffff, 0);
    iommu_notifier_init(&bad, notify, IOMMU_NOTIFIER_MAP, 5, 4, 0);
    Error *err = NULL;
    ASSERT_EQ(memory_region_register_iommu_notifier(mr, &bad, &err),
              -GM_ERR_INVALID_ARG);
    error_free(err);
    ASSERT_EQ(memory_region_register_iommu_notifier(mr, &map_n, NULL), 0);
    ASSERT_EQ(t.flags_seen, IOMMU_NOTIFIER_MAP);
    ASSERT_EQ(memory_region_register_iommu_notifier(mr, &unmap_n, NULL), 0);
    ASSERT_EQ(t.flags_seen, IOMMU_NOTIFIER_IOTLB_EVENTS);
    err = NULL;
    ASSERT_EQ(memory_region_register_iommu_notifier(mr, &map_n, &err),
              -GM_ERR_DUPLICATE);
    error_free(err);
    IOMMUTLBEvent ev = { IOMMU_NOTIFIER_MAP,
                         { NULL, 0x3000, 0x103000, 0xfff, IOMMU_RW } };
    memory_region_notify_iommu(&t.iommu, 0, ev);
    ASSERT_EQ(calls, 1);
    ASSERT_ADDR_EQ(last_iova, 0x3000);
    ev.type = IOMMU_NOTIFIER_UNMAP; /* outside unmap_n's range */
    memory_region_notify_iommu(&t.iommu, 0, ev);
    ASSERT_EQ(calls, 1);
    ev.entry.iova = 0x10000;
    memory_region_notify_iommu(&t.iommu, 0, ev);
    ASSERT_EQ(calls, 2);
    memory_region_notify_iommu(&t.iommu, 1, ev); /* other index */
    ASSERT_EQ(calls, 2);
    memory_region_unregister_iommu_notifier(mr, &unmap_n);
    ASSERT_EQ(t.flags_seen, IOMMU_NOTIFIER_MAP);
    memory_region_notify_iommu(&t.iommu, 0, ev);
    ASSERT_EQ(calls, 2);
    /* A model may refuse a notifier; nothing changes then. */
    t.refuse = 1;
    err = NULL;
    ASSERT(memory_region_register_iommu_notifier(mr, &unmap_n, &err) < 0);
    error_free(err);
    ASSERT(t.iommu.notifiers == &map_n && map_n.next == NULL);
    static MemoryRegion plain;
    memory_region_init(&plain, NULL, "plain", 0x1000);
    err = NULL;
    ASSERT_EQ(memory_region_register_iommu_notifier(&plain, &unmap_n, &err),
              -GM_ERR_WRONG_KIND);
    error_free(err);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(init_and_kind),
        TEST_ENTRY(notifiers),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
