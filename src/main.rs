//! The `budgetsim` binary: parse the command line, run, print errors, exit with a code
//! (0 ok, 1 runtime failure, 2 bad input or usage).

use clap::Parser;

fn main() {
    budgetsim::app::open_standard_streams();
    let cli = match budgetsim::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            std::process::exit(e.exit_code());
        }
    };
    if let Err(e) = budgetsim::app::run(cli) {
        budgetsim::app::say(&e.to_string());
        std::process::exit(e.exit_code());
    }
}
