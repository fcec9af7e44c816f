//! `ea-usage-archiver`: see [`ea_usage_archiver::binary`].

fn main() -> std::process::ExitCode {
    ea_usage_archiver::binary::main()
}
