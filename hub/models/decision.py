"""Group decisions by vote: a question with options, single or multiple choice, a closing time and a quorum."""

from tortoise import fields
from tortoise.models import Model


class Decision(Model):
    """A vote opened in a group: its options, how people choose, when it closes and, once closed, its result."""

    id = fields.IntField(primary_key=True)
    """Row id (the ID of ``hub decision show|close``)."""
    group = fields.ForeignKeyField("models.Group", related_name="decisions", on_delete=fields.CASCADE)
    """The group deciding."""
    question = fields.CharField(max_length=500)
    """What is decided (plain text)."""
    details = fields.TextField(default="")
    """Background for voters (plain text)."""
    options = fields.JSONField(default=list)
    """The options' names, in order (2 to 10); a vote names one of them exactly."""
    multiple = fields.BooleanField(default=False)
    """True: each person may choose several options (``anyOf``); False: one (``oneOf``)."""
    changeable = fields.BooleanField(default=True)
    """Single choice only: whether a later vote replaces the earlier one (False: the first vote is final)."""
    quorum = fields.IntField(null=True)
    """How many members must vote for the result to count; null: no quorum."""
    closes_at = fields.DatetimeField()
    """When voting ends (UTC); votes after it are refused."""
    timezone = fields.CharField(max_length=64, default="UTC")
    """The IANA time zone the closing time was given in, used to show it."""
    state = fields.CharField(max_length=16, default="open")
    """open or closed; see hub.lifecycle.DECISION."""
    object_uri = fields.CharField(max_length=1024, null=True, unique=True)
    """The group's own Question that carries the decision on the wire."""
    result = fields.JSONField(null=True)
    """Once closed: {counts: [members' votes per option], voters, others: [non-members' votes per option],
    other_voters, quorum_met, winners: [option indexes]}."""
    created_by = fields.ForeignKeyField("models.Account", related_name="decisions_opened", null=True, on_delete=fields.SET_NULL)
    """Who opened it (null: the CLI)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was opened."""
    closed_at = fields.DatetimeField(null=True)
    """When it closed (its closing time, or earlier when organisers closed it)."""

    class Meta:
        table = "decisions"
        indexes = (("group", "state"), ("state", "closes_at"))


class Vote(Model):
    """One chosen option of one person's ballot (a multiple-choice ballot has a row per option)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    decision = fields.ForeignKeyField("models.Decision", related_name="votes", on_delete=fields.CASCADE)
    """The decision voted on."""
    account = fields.ForeignKeyField("models.Account", related_name="votes", on_delete=fields.CASCADE)
    """Who voted."""
    choice = fields.IntField()
    """Index of the chosen option in ``Decision.options``."""
    member = fields.BooleanField()
    """Whether they were an accepted member when they voted (only members' votes count)."""
    activity_uri = fields.CharField(max_length=1024, null=True)
    """The activity that carried the vote (null: the web)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When this choice was made."""

    class Meta:
        table = "votes"
        unique_together = (("decision", "account", "choice"),)
