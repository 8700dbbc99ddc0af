"""A group's resource library: guides, links and documents in categories."""

from tortoise import fields
from tortoise.models import Model


class LibraryEntry(Model):
    """One resource organisers added: a guide (text), a link, or a document (a PDF or an image)."""

    id = fields.IntField(primary_key=True)
    """Row id (the ID of ``hub library remove``)."""
    group = fields.ForeignKeyField("models.Group", related_name="library", on_delete=fields.CASCADE)
    """The group whose library holds it."""
    category = fields.CharField(max_length=64)
    """The category it is listed under (free text, e.g. "Guides", "Media literacy")."""
    kind = fields.CharField(max_length=16)
    """guide, link or document."""
    title = fields.CharField(max_length=200)
    """Its title."""
    text = fields.TextField(default="")
    """A guide's body, or a link's or document's description (Markdown source)."""
    url = fields.CharField(max_length=1024, null=True)
    """A link's http(s) address."""
    file_name = fields.CharField(max_length=64, null=True)
    """A PDF's generated file name under HUB_DATA_DIR/library (``<32 hex>.pdf``)."""
    file_size = fields.IntField(null=True)
    """A PDF's size in bytes."""
    image = fields.ForeignKeyField("models.MediaFile", related_name="library_entries", null=True, on_delete=fields.SET_NULL)
    """An image document: re-encoded without metadata, with its alt text."""
    state = fields.CharField(max_length=16, default="listed")
    """listed or removed; see hub.lifecycle.LIBRARY_ENTRY."""
    object_uri = fields.CharField(max_length=1024, null=True, unique=True)
    """The group's own Note that carries the entry on the wire."""
    created_by = fields.ForeignKeyField("models.Account", related_name="library_added", null=True, on_delete=fields.SET_NULL)
    """The organiser who added it (null: the CLI)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was added."""

    class Meta:
        table = "library_entries"
        indexes = (("group", "state"),)
