//! A domain update agent on MQTT.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::MqttSettings;
use super::connection::{Connection, ConnectionEvent, Publisher};
use crate::agent::{AgentOutput, AgentRuntime, AgentSink, DomainAgent};
use crate::model::{Envelope, FeedbackView};
use crate::publication::Publication;
use crate::topic::Topics;

/// A running agent.
#[derive(Debug)]
pub struct AgentHandle<A> {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Option<AgentRuntime<A>>>,
}

impl<A: DomainAgent + 'static> AgentHandle<A> {
    /// Starts `agent` for `domain` on the broker of `settings` (needs a tokio
    /// runtime). It publishes its retained current state on every connect,
    /// subscribes to its three topics and answers the manager.
    pub fn spawn(settings: &MqttSettings, domain: &str, agent: A) -> Self {
        Self::spawn_runtime(settings, AgentRuntime::new(domain, agent))
    }

    /// Starts a prepared runtime.
    pub fn spawn_runtime(settings: &MqttSettings, runtime: AgentRuntime<A>) -> Self {
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(settings.clone(), runtime, stop_rx));
        Self {
            stop: Some(stop),
            task,
        }
    }

    /// Stops the agent after the message in progress and returns its runtime.
    pub async fn stop(mut self) -> Option<AgentRuntime<A>> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        (&mut self.task).await.ok().flatten()
    }
}

struct PublishSink {
    publisher: Publisher,
    topics: Topics,
}

impl AgentSink for PublishSink {
    fn send(&mut self, output: AgentOutput) {
        match output {
            AgentOutput::Feedback(e) => self
                .publisher
                .publish(Publication::new(self.topics.feedback.clone(), e.to_vec())),
            AgentOutput::CurrentState(e) => {
                self.publisher.publish(Publication::retained(
                    self.topics.current_state.clone(),
                    e.to_vec(),
                ));
            }
            AgentOutput::Warning(w) => {
                tracing::warn!(warning = %w, domain = %self.topics.feedback, "update agent")
            }
        }
    }

    fn send_feedback(&mut self, feedback: &Envelope<FeedbackView<'_>>) {
        let topic = self.topics.feedback.clone();
        let mut p = Publication::new(topic, feedback.to_vec());
        // Progress within one phase carries the full action list each time:
        // one still waiting to be sent is superseded by the next. Phase
        // changes and results are never merged.
        if let Some(status) = feedback.payload.as_ref().and_then(|f| f.status)
            && status.is_progress()
        {
            p = p.coalescing(format!("{}/{}", feedback.activity_id, status.as_str()));
        }
        self.publisher.publish(p);
    }
}

async fn run<A: DomainAgent>(
    settings: MqttSettings,
    mut runtime: AgentRuntime<A>,
    mut stop: oneshot::Receiver<()>,
) -> Option<AgentRuntime<A>> {
    let topics = runtime.core().topics().clone();
    let subs = topics
        .agent_subscriptions()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let conn = Connection::new(&settings, runtime.core().domain(), subs);
    let mut sink = PublishSink {
        publisher: conn.publisher(),
        topics,
    };
    let (tx, mut events) = mpsc::unbounded_channel();
    let conn_task = tokio::spawn(conn.run(tx));
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                None => break,
                Some(ConnectionEvent::Connected) => runtime.on_connect(&mut sink).await,
                Some(ConnectionEvent::Message { topic, payload }) => runtime.handle(&topic, &payload, &mut sink).await,
                Some(_) => {}
            },
            _ = &mut stop => break,
        }
    }
    for _ in 0..50 {
        if sink.publisher.pending() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    sink.publisher.stop();
    let _ = conn_task.await;
    Some(runtime)
}
