fn main() -> std::process::ExitCode {
    payable::cli::run()
}
