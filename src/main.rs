// A faster allocator than the system's for the many small, short-lived allocations of
// evaluation (see the comment on the dependency in Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    payable::cli::run()
}
