"""Golden tests: every rendered template is compared with a file in tests/golden, so a prompt
change is always a visible diff. Regenerate with UPDATE_GOLDEN=1 after a deliberate change."""

import os
from pathlib import Path

import pytest

from cot_explorer.teacher.anthropic_teacher import load_demos
from cot_explorer.teacher.prompts import PromptSet

GOLDEN = Path(__file__).parent / "golden"
TYPES = ["PER", "LOC", "ORG", "MISC"]
POST = "RT @NBA : Kawhi Leonard wins the fan vote ! # NBAAwards \U0001F3C0"


def rendered() -> dict[str, str]:
    p = PromptSet()
    cases = {
        "cot_mner_image": p.cot(task="mner", post_text=POST, grains=["noun", "sentence", "multimodal"],
                                entity_types=TYPES, caption=None, has_image=True, demos=load_demos()),
        "cot_mner_caption": p.cot(task="mner", post_text=POST, grains=["noun", "sentence"], entity_types=TYPES,
                                  caption="a basketball player dunking", has_image=False),
        "cot_mre": p.cot(task="mre", post_text="Bill Cosby 's star on Hollywood Walk of Fame vandalized",
                         grains=["noun", "sentence", "multimodal"], entity_types=TYPES, caption=None, has_image=False,
                         head="Bill Cosby", tail="Hollywood Walk of Fame"),
        "augment_style": p.augmentation("style", task="mner", post_text=POST, entity_types=TYPES,
                                        entities=["Kawhi Leonard", "NBA"]),
        "augment_entity": p.augmentation("entity", task="mner", post_text=POST, entity_types=TYPES,
                                         entities=[{"text": "Kawhi Leonard", "type": "PER"}]),
        "augment_image": p.augmentation("image", task="mner", post_text=POST, entity_types=TYPES,
                                        caption="a basketball player dunking"),
    }
    out = {}
    for name, r in cases.items():
        out[name] = f"## system\n{r.system}\n## demos\n{r.demos}\n## user\n{r.user}\n## version\n{r.version}\n"
    return out


@pytest.mark.parametrize("name", sorted(rendered()))
def test_rendered_prompt_matches_golden(name):
    text = rendered()[name]
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_version_changes_with_the_template_text(tmp_path):
    for f in (PromptSet().folder).iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    before = PromptSet(tmp_path).cot(task="mner", post_text="x", grains=["noun"], entity_types=TYPES,
                                      caption=None, has_image=False).version
    (tmp_path / "noun.jinja").write_text((tmp_path / "noun.jinja").read_text() + " Be brief.\n")
    after = PromptSet(tmp_path).cot(task="mner", post_text="x", grains=["noun"], entity_types=TYPES,
                                     caption=None, has_image=False).version
    assert before != after


def test_templates_render_in_a_sandbox(tmp_path):
    (tmp_path / "evil.jinja").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    from jinja2.exceptions import SecurityError
    with pytest.raises(SecurityError):
        PromptSet(tmp_path).env.get_template("evil.jinja").render()


def test_post_text_is_data_not_template():
    r = PromptSet().cot(task="mner", post_text="{{ 7 * 7 }} {% raw %}", grains=["noun"], entity_types=TYPES,
                        caption=None, has_image=False)
    assert "<post>{{ 7 * 7 }} {% raw %}</post>" in r.user
