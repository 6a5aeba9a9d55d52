// SPDX-License-Identifier: MIT
//! vm-memory (rust-vmm) measured the way guestmem-bench measures guestmem:
//! random 4-byte reads and writes, hot (16 KiB) and cold (64 MiB),
//! independent and chased, a chase through 1,000 regions of 4 KiB, bulk
//! copies of 64 MiB, and dirty tracking with its AtomicBitmap.
//!
//! Usage: guestmem-vmmem quick|full
//!
//! Also: the per-page query of a dirty bitmap of 64 MiB (`dirty_at` per
//! page), and building a map one `insert_region` at a time (each returns a
//! new map), as guestmem-bench adds regions one commit each.
//! Prints one "metric value unit" line per figure, read by guestmem-bench.

use std::hint::black_box;
use std::time::Instant;
use std::sync::Arc;
use vm_memory::bitmap::{AtomicBitmap, Bitmap};
use vm_memory::{
    Bytes, GuestAddress, GuestMemory, GuestMemoryMmap, GuestMemoryRegion, GuestRegionMmap,
    MmapRegion,
};

const MIB: usize = 1 << 20;
const BIG: usize = 64 * MIB;
const HOT: usize = 16 * 1024;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A random cycle through all of 0..n (Sattolo's shuffle).
fn cycle(rng: &mut Rng, n: u32) -> Vec<u32> {
    let mut v: Vec<u32> = (0..n).collect();
    for i in (1..n as usize).rev() {
        let j = (rng.next() % i as u64) as usize;
        v.swap(i, j);
    }
    v
}

fn indices(rng: &mut Rng, n: usize, slots: u32) -> Vec<u32> {
    (0..n).map(|_| (rng.next() % slots as u64) as u32).collect()
}

fn report(metric: &str, value: f64, unit: &str) {
    println!("{} {:.4} {}", metric, value, unit);
}

fn fill_cycle<B: vm_memory::bitmap::Bitmap + 'static>(
    mem: &GuestMemoryMmap<B>,
    next: &[u32],
    addr_of: impl Fn(u32) -> u64,
) {
    for (i, n) in next.iter().enumerate() {
        mem.write_obj(*n, GuestAddress(addr_of(i as u32))).unwrap();
    }
}

fn chase<B: vm_memory::bitmap::Bitmap + 'static>(
    mem: &GuestMemoryMmap<B>,
    steps: usize,
    addr_of: impl Fn(u32) -> u64,
) -> f64 {
    let mut i: u32 = 0;
    for _ in 0..100_000 {
        i = mem.read_obj::<u32>(GuestAddress(addr_of(i))).unwrap();
    }
    let t = Instant::now();
    for _ in 0..steps {
        i = mem.read_obj::<u32>(GuestAddress(addr_of(i))).unwrap();
    }
    let ns = t.elapsed().as_secs_f64() / steps as f64 * 1e9;
    black_box(i);
    ns
}

fn loads<B: vm_memory::bitmap::Bitmap + 'static>(
    mem: &GuestMemoryMmap<B>,
    idx: &[u32],
) -> f64 {
    let mut s: u64 = 0;
    let t = Instant::now();
    for k in idx {
        s += mem.read_obj::<u32>(GuestAddress(*k as u64 * 4)).unwrap() as u64;
    }
    let ns = t.elapsed().as_secs_f64() / idx.len() as f64 * 1e9;
    black_box(s);
    ns
}

fn stores<B: vm_memory::bitmap::Bitmap + 'static>(
    mem: &GuestMemoryMmap<B>,
    idx: &[u32],
) -> f64 {
    let t = Instant::now();
    for (n, k) in idx.iter().enumerate() {
        mem.write_obj(n as u32, GuestAddress(*k as u64 * 4)).unwrap();
    }
    t.elapsed().as_secs_f64() / idx.len() as f64 * 1e9
}

/// Every byte written once, so no read is answered by the zero page.
fn touch<B: vm_memory::bitmap::Bitmap + 'static>(mem: &GuestMemoryMmap<B>, len: usize) {
    let page = vec![1u8; MIB];
    for off in (0..len).step_by(MIB) {
        mem.write_slice(&page, GuestAddress(off as u64)).unwrap();
    }
}

/// `commit` mode: one region inserted into maps of 10 .. 1,000,000 regions
/// of 4 KiB with a hole after each (insert_region returns a new map; the
/// median of several), as guestmem's commit-bench measures one change.
fn commit_series(quick: bool) {
    let sizes: &[u64] = if quick {
        &[10, 100, 1000, 10_000, 100_000]
    } else {
        &[10, 100, 1000, 10_000, 100_000, 1_000_000]
    };
    for &n in sizes {
        let ranges: Vec<(GuestAddress, usize)> =
            (0..n).map(|r| (GuestAddress(r * 8192), 4096)).collect();
        let base: GuestMemoryMmap<()> = GuestMemoryMmap::from_ranges(&ranges).unwrap();
        let reps = if n >= 100_000 { 5 } else { 51 };
        let mut times: Vec<f64> = Vec::with_capacity(reps);
        for _ in 0..reps {
            let r = Arc::new(
                GuestRegionMmap::new(
                    MmapRegion::<()>::new(4096).unwrap(),
                    GuestAddress((n / 2) * 8192 + 4096),
                )
                .unwrap(),
            );
            let t = Instant::now();
            let bigger = base.insert_region(r).unwrap();
            times.push(t.elapsed().as_secs_f64());
            black_box(bigger.num_regions());
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        report(&format!("vmm_insert_region_into_{}", n), times[reps / 2] * 1e6, "us");
    }
}

fn main() {
    let mode = std::env::args().nth(1);
    if mode.as_deref() == Some("commit") || mode.as_deref() == Some("commit-quick") {
        commit_series(mode.as_deref() == Some("commit-quick"));
        return;
    }
    let quick = mode.as_deref() == Some("quick");
    let n: usize = if quick { 2_000_000 } else { 10_000_000 };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // One 64 MiB region.
    let mem: GuestMemoryMmap<()> = GuestMemoryMmap::from_ranges(&[(GuestAddress(0), BIG)]).unwrap();
    touch(&mem, BIG);

    let hot_next = cycle(&mut rng, (HOT / 4) as u32);
    fill_cycle(&mem, &hot_next, |i| i as u64 * 4);
    let hot_idx = indices(&mut rng, n, (HOT / 4) as u32);
    report("vmm_hot_read4_random", loads(&mem, &hot_idx), "ns");
    report("vmm_hot_read4_chase", chase(&mem, n, |i| i as u64 * 4), "ns");

    let big_next = cycle(&mut rng, (BIG / 4) as u32);
    fill_cycle(&mem, &big_next, |i| i as u64 * 4);
    let cold_idx = indices(&mut rng, n, (BIG / 4) as u32);
    report("vmm_read4_random", loads(&mem, &cold_idx), "ns");
    report("vmm_read4_chase", chase(&mem, n / 4, |i| i as u64 * 4), "ns");
    report("vmm_write4_random", stores(&mem, &cold_idx), "ns");

    // Bulk copies of 64 MiB.
    let mut buf = vec![2u8; BIG];
    let reps = if quick { 4 } else { 16 };
    let t = Instant::now();
    for _ in 0..reps {
        mem.read_slice(&mut buf, GuestAddress(0)).unwrap();
    }
    report("vmm_bulk_read", (reps * BIG) as f64 / t.elapsed().as_secs_f64() / 1e9, "GB/s");
    let t = Instant::now();
    for _ in 0..reps {
        mem.write_slice(&buf, GuestAddress(0)).unwrap();
    }
    report("vmm_bulk_write", (reps * BIG) as f64 / t.elapsed().as_secs_f64() / 1e9, "GB/s");
    black_box(&buf);
    drop(mem);

    // 1,000 regions of 4 KiB, a hole after each, chased slot by slot.
    let ranges: Vec<(GuestAddress, usize)> =
        (0..1000u64).map(|r| (GuestAddress(r * 8192), 4096)).collect();
    let many: GuestMemoryMmap<()> = GuestMemoryMmap::from_ranges(&ranges).unwrap();
    let slot = |s: u32| (s / 1024) as u64 * 8192 + (s % 1024) as u64 * 4;
    let many_next = cycle(&mut rng, 1000 * 1024);
    fill_cycle(&many, &many_next, slot);
    report("vmm_1000_read4_chase", chase(&many, n / 4, slot), "ns");
    drop(many);

    // Dirty tracking: writes with an AtomicBitmap, then a scan of 64 MiB.
    let logged: GuestMemoryMmap<AtomicBitmap> =
        GuestMemoryMmap::from_ranges(&[(GuestAddress(0), BIG)]).unwrap();
    touch(&logged, BIG);
    report("vmm_write4_random_dirty", stores(&logged, &cold_idx), "ns");
    let region = logged.iter().next().unwrap();
    let bitmap = region.bitmap();
    // Each collection of a fully dirty 64 MiB bitmap timed on its own (the
    // re-dirtying in between is not), median of 101.
    let mut times: Vec<f64> = Vec::with_capacity(101);
    let mut dirty = 0usize;
    for _ in 0..101 {
        bitmap.set_addr_range(0, BIG);
        let t = Instant::now();
        let words = bitmap.get_and_reset();
        dirty += words.iter().map(|w| w.count_ones() as usize).sum::<usize>();
        times.push(t.elapsed().as_secs_f64());
    }
    black_box(dirty);
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    report("vmm_dirty_scan_64m", times[50] * 1e6, "us");
    // The per-page query without clearing: dirty_at for every page of the
    // fully dirty 64 MiB, each pass timed on its own, median of 101.
    let mut times: Vec<f64> = Vec::with_capacity(101);
    for _ in 0..101 {
        bitmap.set_addr_range(0, BIG);
        let t = Instant::now();
        let mut n = 0usize;
        for p in (0..BIG).step_by(4096) {
            if bitmap.dirty_at(p) {
                n += 1;
            }
        }
        times.push(t.elapsed().as_secs_f64());
        dirty += black_box(n);
    }
    black_box(dirty);
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    report("vmm_dirty_at_64m", times[50] * 1e6, "us");
    drop(logged);

    // A map built one insert_region at a time: regions of 4 KiB with a
    // hole after each, the last 10 % timed per insert.
    let n = if quick { 1000 } else { 4000 };
    let regions: Vec<Arc<GuestRegionMmap<()>>> = (0..n as u64)
        .map(|k| {
            Arc::new(
                GuestRegionMmap::new(MmapRegion::<()>::new(4096).unwrap(), GuestAddress(k * 8192))
                    .unwrap(),
            )
        })
        .collect();
    let mut map = GuestMemoryMmap::<()>::new();
    let mut t = Instant::now();
    for (k, r) in regions.into_iter().enumerate() {
        if k == n - n / 10 {
            t = Instant::now();
        }
        map = map.insert_region(r).unwrap();
    }
    report(
        "vmm_insert_region_tail",
        t.elapsed().as_secs_f64() / (n / 10) as f64 * 1e6,
        "us",
    );
    drop(map);
    // One region into a map of 100,000 (median of 5).
    if !quick {
        let ranges: Vec<(GuestAddress, usize)> =
            (0..100_000u64).map(|r| (GuestAddress(r * 8192), 4096)).collect();
        let base: GuestMemoryMmap<()> = GuestMemoryMmap::from_ranges(&ranges).unwrap();
        let mut times: Vec<f64> = Vec::with_capacity(5);
        for _ in 0..5 {
            let r = Arc::new(
                GuestRegionMmap::new(
                    MmapRegion::<()>::new(4096).unwrap(),
                    GuestAddress(100_000 * 8192),
                )
                .unwrap(),
            );
            let t = Instant::now();
            let bigger = base.insert_region(r).unwrap();
            times.push(t.elapsed().as_secs_f64());
            black_box(bigger.num_regions());
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        report("vmm_insert_region_into_100000", times[2] * 1e6, "us");
    }
}
