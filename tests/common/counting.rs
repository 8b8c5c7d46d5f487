//! A counting allocator for the bounded-memory tests: the system allocator, counting the bytes
//! in use and the most ever in use. Each test binary that includes this module installs it as
//! its global allocator, and shares the policy the tests read with.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

pub struct Counting;

pub static IN_USE: AtomicUsize = AtomicUsize::new(0);
pub static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

pub const MIB: usize = 1024 * 1024;

/// A plan with one kind of hourly reading.
pub const POLICY: &str = r#"plan 規模 "memory test plan" {
  period 2019-01-01 .. 2019-12-31
}
record 讀數 key 編號 dated 日期 {
  編號: number
  日期: date
  PM10: ug/m3
}
"#;
