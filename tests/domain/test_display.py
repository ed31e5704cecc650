"""What deskbook paints for one field of Arabic: visual order, joined letters, cut to a width.

Expected strings are spelled in code points: presentation forms look alike in an editor.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from deskbook.config import Settings
from deskbook.display import (
    ELLIPSIS,
    TERMINAL_BIDI_OFF,
    TERMINAL_BIDI_ON,
    BidiMode,
    cut,
    default_mode,
    fit,
    shown,
    terminal_switch,
    visual,
)
from deskbook.errors import InvalidInput

# Presentation forms: isolated, final, initial, medial.
MEEM_INITIAL, MEEM_MEDIAL = "\ufee3", "\ufee4"
HAH_MEDIAL, HAH_INITIAL = "\ufea4", "\ufea3"
DAL_FINAL = "\ufeaa"
ALEF_HAMZA = "\ufe83"
FATHA, DAMMA, SHADDA = "\u064e", "\u064f", "\u0651"


def test_pure_arabic_is_reversed_and_joined() -> None:
    # محمد: meem initial, hah medial, meem medial, dal final; painted right to left.
    assert visual("محمد") == DAL_FINAL + MEEM_MEDIAL + HAH_MEDIAL + MEEM_INITIAL


def test_words_keep_their_order_right_to_left() -> None:
    painted = visual("محمد أحمد")
    first, second = painted.split(" ")
    assert first == DAL_FINAL + MEEM_MEDIAL + HAH_INITIAL + ALEF_HAMZA  # أحمد, read last
    assert second == visual("محمد")


def test_arabic_first_then_digits_in_parentheses_then_english() -> None:
    # An Arabic paragraph: the Arabic at the right, the English at the left; the number
    # stays 12 and its parentheses enclose it.
    assert visual("أحمد (12) Ahmed") == "Ahmed (12) " + visual("أحمد")


def test_english_first_keeps_the_arabic_inside_its_parentheses() -> None:
    # Paired brackets (UAX #9 N0) take the English paragraph's direction.
    assert visual("Ahmed (أحمد) 12") == "Ahmed (" + visual("أحمد") + ") 12"


def test_parentheses_inside_arabic_are_mirrored() -> None:
    # غرفة 12 (أ): read from the right, the bracket that opens comes first, so the left
    # one painted is the closing glyph's mirror: "(" then أ then ")".
    room = visual("غرفة")
    assert visual("غرفة 12 (أ)") == "(" + "\ufe83" + ") 12 " + room


def test_digits_read_left_to_right_inside_arabic() -> None:
    assert visual("جلسة 2025") == "2025 " + visual("جلسة")


def test_tashkeel_stays_after_its_letter() -> None:
    # مُحَمَّد: a terminal joins a combining mark with the cell before it, so each mark must
    # follow its own letter in the painted order.
    painted = visual("مُحَمَّد")
    assert painted == (
        DAL_FINAL + MEEM_MEDIAL + FATHA + SHADDA + HAH_MEDIAL + FATHA + MEEM_INITIAL + DAMMA
    )
    assert cell_len(painted) == 4


def test_lam_alef_joins_and_allah_stays_letters() -> None:
    assert visual("لا") == "\ufefb"
    assert "\ufdf2" not in visual("عبد الله")  # ﷲ is drawn wider than its one cell


def test_english_is_left_alone() -> None:
    assert visual("Ahmed Ali (12)") == "Ahmed Ali (12)"


@pytest.mark.parametrize("mode", [BidiMode.TERMINAL, BidiMode.OFF])
def test_other_modes_paint_the_text_as_stored(mode: BidiMode) -> None:
    assert shown("أحمد (12)", mode) == "أحمد (12)"
    assert shown("أحمد (12)", BidiMode.APP) != "أحمد (12)"


def test_cut_ends_with_an_ellipsis_at_a_word() -> None:
    assert cut("عبد الرحمن بن عبد العزيز", 14) == "عبد الرحمن بن" + ELLIPSIS
    assert cut("Abdulrahman Alfaisal", 16) == "Abdulrahman" + ELLIPSIS
    assert cut("Abdulrahman", 6) == "Abdul" + ELLIPSIS  # one long word: cut inside it
    assert cut("Huda", 10) == "Huda"


def test_cut_counts_cells_not_characters_and_keeps_marks() -> None:
    name = "مُحَمَّد عَبْدُ الرَّحْمٰن"
    short = cut(name, 12)
    assert short == "مُحَمَّد عَبْدُ" + ELLIPSIS
    assert cell_len(short) <= 12


def test_fit_cuts_in_logical_order_then_paints() -> None:
    # The start of the name survives: it is painted at the right, the … at the left.
    painted = fit("عبد الرحمن بن عبد العزيز", 14, BidiMode.APP)
    assert painted.startswith(ELLIPSIS)
    assert painted.endswith(visual("عبد"))


arabic_letters = st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهويةءأإآى")
marks = st.sampled_from([FATHA, DAMMA, SHADDA, "\u0650", "\u0652", "\u064b", "\u0670"])
words = st.lists(
    st.tuples(arabic_letters, st.lists(marks, max_size=2)).map(lambda t: t[0] + "".join(t[1])),
    min_size=1,
    max_size=8,
).map("".join)
names = st.lists(words, min_size=1, max_size=5).map(" ".join)


@given(names, st.integers(min_value=2, max_value=30))
def test_no_cut_or_painting_is_wider_than_asked(name: str, width: int) -> None:
    for mode in BidiMode:
        assert cell_len(fit(name, width, mode)) <= width


@given(names)
def test_painting_never_strands_a_mark(name: str) -> None:
    painted = visual(name)
    assert cell_len(painted) <= cell_len(name)
    for index, ch in enumerate(painted):
        if unicodedata.category(ch) == "Mn":
            assert index > 0 and painted[index - 1] != " "
    count = sum(unicodedata.category(ch) == "Mn" for ch in name)
    assert sum(unicodedata.category(ch) == "Mn" for ch in painted) == count


def test_default_mode_by_terminal() -> None:
    assert default_mode({"TERM_PROGRAM": "textual"}) is BidiMode.APP  # the browser
    assert default_mode({"VTE_VERSION": "7600"}) is BidiMode.APP
    assert default_mode({"KONSOLE_VERSION": "230804"}) is BidiMode.TERMINAL
    assert default_mode({}) is BidiMode.APP


def test_terminal_bidi_is_switched_off_only_where_it_may_be_on() -> None:
    vte = {"VTE_VERSION": "7600"}
    assert terminal_switch(BidiMode.APP, vte) == (TERMINAL_BIDI_OFF, TERMINAL_BIDI_ON)
    assert terminal_switch(BidiMode.OFF, vte) == (TERMINAL_BIDI_OFF, TERMINAL_BIDI_ON)
    assert terminal_switch(BidiMode.TERMINAL, vte) == ("", "")
    assert terminal_switch(BidiMode.APP, {"SSH_CONNECTION": "1 2 3 4"})[0] == TERMINAL_BIDI_OFF
    assert terminal_switch(BidiMode.APP, {"XTERM_VERSION": "390"}) == ("", "")
    assert TERMINAL_BIDI_OFF == "\x1b[8l" and TERMINAL_BIDI_ON == "\x1b[8h"


def test_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKBOOK_BIDI", "Terminal")
    assert Settings.from_env().bidi is BidiMode.TERMINAL
    monkeypatch.setenv("DESKBOOK_BIDI", "")
    assert Settings.from_env().bidi is None
    monkeypatch.setenv("DESKBOOK_BIDI", "rtl")
    with pytest.raises(InvalidInput, match="DESKBOOK_BIDI must be one of app, terminal, off"):
        Settings.from_env()


def test_the_terminal_bidi_is_off_while_the_app_paints_and_on_again_after() -> None:
    from deskbook.tui.bidi import BidiState

    vte = {"VTE_VERSION": "7600"}
    state = BidiState(None, vte)
    assert state.start() == TERMINAL_BIDI_OFF
    assert state.choose(BidiMode.OFF) == ""  # still off
    assert state.choose(BidiMode.TERMINAL) == TERMINAL_BIDI_ON
    assert state.at_exit() == ""  # already on
    assert state.choose(BidiMode.APP) == TERMINAL_BIDI_OFF
    assert state.at_exit() == TERMINAL_BIDI_ON
    # A terminal that does no BiDi is sent nothing at all.
    plain = BidiState(None, {"XTERM_VERSION": "390"})
    assert (plain.start(), plain.choose(BidiMode.TERMINAL), plain.at_exit()) == ("", "", "")


def test_a_login_s_stored_mode_yields_to_the_setting_and_to_an_answer() -> None:
    from deskbook.tui.bidi import BidiState

    assert BidiState(None, {}).after_sign_in("terminal") is BidiMode.TERMINAL
    assert BidiState(None, {}).after_sign_in("app") is None  # nothing changes
    assert BidiState(BidiMode.APP, {}).after_sign_in("terminal") is None
    answered = BidiState(None, {})
    answered.answered = BidiMode.APP
    assert answered.after_sign_in("terminal") is None
