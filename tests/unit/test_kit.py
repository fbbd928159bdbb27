"""bot.slack.kit, the one way bot/ builds Block Kit: each builder against the slack_sdk model it
stands for (same JSON, and the model's own validation accepts it), and Slack's limits."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    ImageBlock,
    ImageElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack import kit

_IMAGE = ImageElement(image_url="https://x/a.png", alt_text="A")
_CONFIRM = ConfirmObject(
    title=PlainTextObject(text="Sure?"),
    text=PlainTextObject(text="Really do it?"),
    confirm=PlainTextObject(text="Do"),
    deny=PlainTextObject(text="Cancel"),
    style="danger",
)
_UID_INPUT = PlainTextInputElement(
    action_id="uid", max_length=100, placeholder=PlainTextObject(text="e.g. user-001")
)
_HOUR, _FOREVER = (
    Option(value="1h", text=PlainTextObject(text="1 hour", emoji=False)),
    Option(value="permanent", text=PlainTextObject(text="Permanent", emoji=False)),
)

# Each builder's output beside the slack_sdk model it replaces.
BLOCKS = {
    "header": (kit.header("h", "Title"), HeaderBlock(block_id="h", text="Title")),
    "context": (
        kit.context("c", "*x*"),
        ContextBlock(block_id="c", elements=[MarkdownTextObject(text="*x*")]),
    ),
    "divider": (kit.divider("d"), DividerBlock(block_id="d")),
    "section with image": (
        kit.section("s", "t", kit.image("https://x/a.png", "A")),
        SectionBlock(block_id="s", text=MarkdownTextObject(text="t"), accessory=_IMAGE),
    ),
    "section": (
        kit.section("s", "t"),
        SectionBlock(block_id="s", text=MarkdownTextObject(text="t")),
    ),
    "section without id": (kit.section(None, "t"), SectionBlock(text=MarkdownTextObject(text="t"))),
    "actions": (
        kit.actions("n", [kit.button("a", "Go", "v", style="primary")]),
        ActionsBlock(
            block_id="n",
            elements=[
                ButtonElement(
                    action_id="a", text=PlainTextObject(text="Go"), value="v", style="primary"
                )
            ],
        ),
    ),
    "button with confirm, no block id": (
        kit.actions(
            None,
            [
                kit.button(
                    "a",
                    "Go",
                    "v",
                    style="danger",
                    confirm=kit.confirm("Sure?", "Really do it?", "Do", style="danger"),
                )
            ],
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    action_id="a",
                    text=PlainTextObject(text="Go"),
                    value="v",
                    style="danger",
                    confirm=_CONFIRM,
                )
            ]
        ),
    ),
    "external select": (
        kit.actions("p", [kit.external_select("pick", "Pick one", min_query_length=0)]),
        ActionsBlock(
            block_id="p",
            elements=[
                ExternalDataSelectElement(
                    action_id="pick",
                    placeholder=PlainTextObject(text="Pick one"),
                    min_query_length=0,
                )
            ],
        ),
    ),
    "input": (
        kit.input_block(
            "i",
            "User id",
            kit.plain_text_input("uid", placeholder="e.g. user-001", max_length=100),
        ),
        InputBlock(block_id="i", label=PlainTextObject(text="User id"), element=_UID_INPUT),
    ),
    "input with a static select": (
        kit.input_block(
            "d",
            "Duration",
            kit.static_select(
                "duration",
                [kit.option("1h", "1 hour"), kit.option("permanent", "Permanent")],
                initial=kit.option("permanent", "Permanent"),
            ),
        ),
        InputBlock(
            block_id="d",
            label=PlainTextObject(text="Duration"),
            element=StaticSelectElement(
                action_id="duration", options=[_HOUR, _FOREVER], initial_option=_FOREVER
            ),
        ),
    ),
    "image block": (
        kit.image_block("c", "https://x/c.png", "A chart", title="Chart"),
        ImageBlock(
            block_id="c",
            image_url="https://x/c.png",
            alt_text="A chart",
            title=PlainTextObject(text="Chart"),
        ),
    ),
    "input that dispatches its action": (
        kit.input_block("f", "Find a user", kit.plain_text_input("find"), dispatch_action=True),
        InputBlock(
            block_id="f",
            label=PlainTextObject(text="Find a user"),
            element=PlainTextInputElement(action_id="find"),
            dispatch_action=True,
        ),
    ),
    "optional multiline input with a hint": (
        kit.input_block(
            "r",
            "Reason",
            kit.plain_text_input("reason", placeholder="Why?", max_length=500, multiline=True),
            hint="Kept with the ban",
            optional=True,
        ),
        InputBlock(
            block_id="r",
            label=PlainTextObject(text="Reason"),
            hint=PlainTextObject(text="Kept with the ban"),
            optional=True,
            element=PlainTextInputElement(
                action_id="reason",
                placeholder=PlainTextObject(text="Why?"),
                max_length=500,
                multiline=True,
            ),
        ),
    ),
}


@pytest.mark.parametrize("name", BLOCKS)
def test_each_block_builder_makes_what_its_slack_sdk_model_makes(name):
    built, model = BLOCKS[name]
    assert built == model.to_dict()
    parsed = Block.parse(built)
    assert parsed is not None
    assert parsed.to_dict() == built  # the SDK reads it back unchanged, validating every length


def test_option_is_what_slack_sdk_makes():
    built = kit.option("g1", "Group (g1)")
    model = Option(value="g1", text=PlainTextObject(text="Group (g1)", emoji=False))
    assert built == model.to_dict()
    assert Option(**built).to_dict() == built


def test_modal_is_what_slack_sdk_view_makes():
    built = kit.modal(
        "cb",
        "Ban a user",
        [
            kit.section(None, "Which user?"),
            kit.input_block("i", "User id", kit.plain_text_input("uid")),
        ],
        submit="Next",
        close="Cancel",
        private_metadata='{"g":"g1"}',
    )
    model = View(
        type="modal",
        callback_id="cb",
        title=PlainTextObject(text="Ban a user"),
        submit=PlainTextObject(text="Next"),
        close=PlainTextObject(text="Cancel"),
        private_metadata='{"g":"g1"}',
        blocks=[
            SectionBlock(text=MarkdownTextObject(text="Which user?")),
            InputBlock(
                block_id="i",
                label=PlainTextObject(text="User id"),
                element=PlainTextInputElement(action_id="uid"),
            ),
        ],
    )
    assert built == model.to_dict()
    assert View(**built).to_dict() == built


def test_home_view_is_what_slack_sdk_view_makes():
    built = kit.home([kit.header("h", "Moderation"), kit.divider("d")])
    model = View(
        type="home",
        blocks=[HeaderBlock(block_id="h", text="Moderation"), DividerBlock(block_id="d")],
    )
    assert built == model.to_dict()
    assert View(**built).to_dict() == built


def test_text_is_cut_to_what_slack_accepts_and_the_sdk_then_validates_it():
    long = "x" * 5000
    assert len(kit.header("h", long)["text"]["text"]) == kit.HEADER_TEXT
    assert len(kit.section("s", long)["text"]["text"]) == kit.SECTION_TEXT
    dialog = kit.confirm(long, long, long)
    assert [len(dialog[k]["text"]) for k in ("title", "text", "confirm")] == [100, 300, 30]
    button = kit.button("a", long, "v", confirm=dialog)
    select = kit.external_select("s", long)
    field = kit.input_block("i", long, kit.plain_text_input("uid", placeholder=long), hint=long)
    assert len(field["hint"]["text"]) == kit.INPUT_HINT
    for block in (kit.actions("a", [button]), kit.actions("p", [select]), field):
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block  # raises on any length over
    option = kit.option("v", long)
    assert len(option["text"]["text"]) == kit.OPTION_TEXT
    Option(**option).to_dict()
    modal = kit.modal("cb", long, [kit.section(None, long)], submit=long, close=long)
    assert {len(modal[k]["text"]) for k in ("title", "submit", "close")} == {kit.VIEW_TITLE}
    View(**modal).to_dict()


def test_values_that_cannot_be_cut_are_refused():
    with pytest.raises(ValueError):
        kit.button("a", "Go", "v" * 2001)
    with pytest.raises(ValueError):
        kit.image("https://x/" + "a" * 3000, "alt")
    with pytest.raises(ValueError):
        kit.option("v" * 151, "label")
    with pytest.raises(ValueError):
        kit.modal("cb", "Title", [], private_metadata="m" * 3001)


def test_a_static_select_needs_options_and_an_initial_option_among_them():
    hour = kit.option("1h", "1 hour")
    with pytest.raises(ValueError):
        kit.static_select("s", [])
    with pytest.raises(ValueError):
        kit.static_select("s", [hour] * 101)
    with pytest.raises(ValueError):
        kit.static_select("s", [hour], initial=kit.option("2h", "2 hours"))
