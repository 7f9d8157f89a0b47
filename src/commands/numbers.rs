//! `vapiform numbers`: the number inventory across the carrier and Vapi.

use std::io::Write as _;

use super::Console;
use super::account::{Account, Pace};
use crate::cli::{Global, ListFormat, NumbersArgs};
use crate::exit::Exit;
use crate::plan::inventory::{self, FORMAT_VERSION};
use crate::render::document::{Kind, document};

pub(super) async fn run(
    global: &Global,
    args: &NumbersArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let Some(desired) = super::load(&args.file.file, console)? else {
        return Ok(Exit::Error);
    };
    let mut account = Account::connect(global, &Pace::READ).await?;
    account.attach(account.connect_carrier(desired.carrier.as_ref())?);
    let live = account.read(None).await?;
    drop(account);
    let mut rows = inventory::inventory(&desired, &live);
    // A carrier's pool is most of what the command holds: let it go before the listing is
    // written (about 10 MiB of the peak at 100,000 numbers).
    drop(live);
    if args.free {
        let carrier = desired.carrier.is_some();
        rows.retain(|row| row.is_free(carrier));
    }
    let text = match args.format {
        ListFormat::Text => crate::render::inventory::text(&rows),
        ListFormat::Json => document(
            Kind::Numbers,
            &serde_json::json!({
                "format_version": FORMAT_VERSION,
                "numbers": rows,
            }),
        ),
    };
    console.out.write_all(text.as_bytes())?;
    Ok(Exit::Success)
}
