"""Posts made to a group, and tombstones of deleted objects."""

from tortoise import fields
from tortoise.models import Model


class Post(Model):
    """A member's post (or reply, or a post relayed from another group) in a group, as the group announced it."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="posts", on_delete=fields.CASCADE)
    """The group the post was made to."""
    author = fields.ForeignKeyField("models.Account", related_name="posts", on_delete=fields.CASCADE)
    """Who wrote it."""
    via = fields.ForeignKeyField("models.Account", related_name="relayed_posts", null=True, on_delete=fields.SET_NULL)
    """For posts relayed from a followed group or a collaboration: that group's account."""
    uri = fields.CharField(max_length=1024, db_index=True)
    """The object id (Note/Page/Article/Question); unique within a group."""
    activity_uri = fields.CharField(max_length=1024, null=True)
    """The id of the Create that brought it."""
    url = fields.CharField(max_length=1024, null=True)
    """The post's HTML page on its home server."""
    object_type = fields.CharField(max_length=16)
    """Note, Page, Article or Question."""
    in_reply_to = fields.CharField(max_length=1024, null=True)
    """The id this replies to, if any."""
    thread_uri = fields.CharField(max_length=1024, db_index=True)
    """The id of the thread's top post (its own uri for top posts)."""
    title = fields.CharField(max_length=500, null=True)
    """The object's name, plain text (Lemmy/Mbin titles)."""
    content_html = fields.TextField(default="")
    """Sanitised HTML content."""
    summary = fields.CharField(max_length=500, null=True)
    """Content warning / summary, plain text."""
    language = fields.CharField(max_length=16, null=True)
    """Language tag from contentMap, when known."""
    visibility = fields.CharField(max_length=16)
    """public, unlisted, members (followers-only) or direct."""
    state = fields.CharField(max_length=16)
    """held, published, removed or deleted; see hub.lifecycle.POST."""
    pinned = fields.BooleanField(default=False)
    """Featured by the group's organisers."""
    published_at = fields.DatetimeField()
    """``published`` of the object."""
    edited_at = fields.DatetimeField(null=True)
    """``updated`` of the last accepted edit."""
    announce_uri = fields.CharField(max_length=1024, null=True)
    """The id of the group's Announce of this post."""
    activity_json = fields.TextField()
    """The Create as received, re-sent unchanged inside FEP-1b12 Announces."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the hub stored it."""

    class Meta:
        table = "posts"
        unique_together = (("group", "uri"),)
        indexes = (("group", "state", "id"), ("group", "pinned", "id"), ("group", "state", "published_at"))


class Tombstone(Model):
    """An object id that was deleted: a Create arriving later for it is dropped."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    uri = fields.CharField(max_length=1024, unique=True)
    """The deleted object's id."""
    actor_uri = fields.CharField(max_length=1024)
    """Who deleted it (the owner)."""
    deleted_at = fields.DatetimeField(auto_now_add=True)
    """When the Delete arrived."""

    class Meta:
        table = "tombstones"
