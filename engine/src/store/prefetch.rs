//! A hint to the processor to start loading memory that a command will read
//! soon. Commands over many keys (MGET) look all of them up: started one
//! after another, each lookup waits on its own cache misses (the bucket,
//! then the entry); with the loads of the next few keys started first, the
//! misses overlap. A hint changes no result, only when data arrives.

/// Starts loading the cache line holding `value`; does nothing where the
/// architecture has no such hint.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: the intrinsic needs SSE, which every x86_64 target has;
        // a prefetch never faults and reads nothing the program sees.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Starts loading the first `lines` cache lines of `items` (a packed value,
/// or an array a search starts in).
#[inline(always)]
pub fn prefetch_lines<T>(items: &[T], lines: usize) {
    let per_line = (64 / std::mem::size_of::<T>().max(1)).max(1);
    for item in items.iter().step_by(per_line).take(lines) {
        prefetch(item);
    }
}
