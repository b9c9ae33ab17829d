//! The `regscope` binary: parse the command line, run it, turn the outcome into an exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let parsed = cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("regscope: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(cli::run(parsed));
    drop(runtime);
    regscope::registry::trust::settle();
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            // Messages may quote what a registry sent: never let it drive the terminal.
            eprintln!("regscope: {}", regscope::sanitize::sanitize(&f.message));
            ExitCode::from(f.code)
        }
    }
}
