//! The real grammers client against the simulator: login, updates, replies with buttons,
//! downloads, and the faults Telegram produces.

use beamgram_tests::*;
use grammers_client::update::Update;

#[tokio::test]
async fn bot_logs_in_and_receives_a_message() {
    let w = world().await;
    let mut bot = signed_in(&w.h, TOKEN).await;
    let me = bot.client.get_me().await.expect("get_me");
    assert_eq!(me.id().bare_id(), Some(w.bot));
    let mut stream = bot.stream().await;
    w.h.send_text(w.user, w.bot, "hello bot").expect("user sends");
    let update = tokio::time::timeout(WAIT, stream.next()).await.expect("update in time").expect("update");
    match update {
        Update::NewMessage(m) => assert_eq!(m.text(), "hello bot"),
        other => panic!("unexpected update {other:?}"),
    }
}
