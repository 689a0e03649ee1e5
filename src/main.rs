// A faster allocator than the system's for the many small, short-lived allocations of
// evaluation (see the comment on the dependency in Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    no_transparent_huge_pages();
    payable::cli::run()
}

/// Asks Linux not to back this process's memory with transparent huge pages. mimalloc asks for
/// them where the system allows it, and each first touch of one zeroes 2 MiB, however little
/// of it is used, again after each time mimalloc gives memory back: on the evaluation
/// benchmark the kernel's page zeroing was 8% of the samples of a run, and without huge pages
/// the run takes some 3% less CPU time and 10 MB less peak memory. Nothing here gains from
/// huge pages: the working set is a few buffers that stay hot. Failure changes nothing but
/// speed, so it is ignored.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
