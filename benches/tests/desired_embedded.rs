//! desired-state's `ActivityHarness` (our manager and five agents) completes
//! activities over testkit's embedded broker, plain and chatty, so the demo
//! and `desired_activity --embedded` need no installed broker.

use desired_state::model::Status;
use desired_state::mqtt::harness::{ActivityHarness, HarnessOptions};
use testkit::broker::Broker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_complete_over_the_embedded_broker() {
    let broker = Broker::start().await.unwrap();
    for chatty in [false, true] {
        let mut options = HarnessOptions::new(broker.port());
        options.chatty = chatty;
        let mut harness = ActivityHarness::start(&options).await.unwrap();
        for components in [5, 1_000] {
            let out = harness.run(components).await.unwrap();
            assert_eq!(
                out.feedback.status,
                Some(Status::Completed),
                "chatty {chatty}, {components} components: {:?}",
                out.feedback
            );
        }
        harness.stop().await;
    }
    broker.stop().await;
}
