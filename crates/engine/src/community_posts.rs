//! Posting in the community through the engine: the store records the
//! post (with every rule checked in its transaction), then triage reads it
//! and a post it judges spam is reported to the moderators by the spam
//! filter (it stays up until a moderator hides it: a false alarm costs a
//! moderator a look, not a customer their post).

use firebreak_community::{Actor, Post, PostId, Topic, TopicId};
use firebreak_domain::Channel;
use firebreak_store::{CommunityStoreError, NewTopic};

use crate::Engine;

impl Engine {
    /// Creates a topic with its first post; flags the post if it is spam.
    pub async fn community_topic(&self, actor: Actor, topic: NewTopic) -> Result<(Topic, Post), CommunityStoreError> {
        let text = format!("{}\n{}", topic.title, topic.body);
        let out = self.store.create_topic(actor, topic).await?;
        self.flag_if_spam(out.1.id, &text).await;
        Ok(out)
    }

    /// Replies to a topic; flags the reply if it is spam.
    pub async fn community_reply(
        &self,
        actor: Actor,
        topic: TopicId,
        body: String,
    ) -> Result<Post, CommunityStoreError> {
        let text = body.clone();
        let post = self.store.reply(actor, topic, body).await?;
        self.flag_if_spam(post.id, &text).await;
        Ok(post)
    }

    async fn flag_if_spam(&self, post: PostId, text: &str) {
        let Some(triager) = &self.triager else { return };
        if !triager.judge(text, Channel::Forum).spam {
            return;
        }
        match self.store.flag_spam(post, "spam (triage)".into()).await {
            Ok(report) => tracing::info!(post = post.0, report, "a community post was flagged as spam"),
            Err(e) => tracing::warn!(error = %e, post = post.0, "a spam post could not be flagged"),
        }
    }
}
