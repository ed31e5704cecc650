"""Name-variant folding: the spellings one Arabic name gets in Latin letters meet, on the
stored names and on the typed query alike, so a variant is still an index lookup (the folded
word is what Patient.name_norm holds and what the trigram/prefix indexes see).

Applied to words already through deskbook.normalize.normalize_text (lower case, accents gone,
punctuation a space; an apostrophe inside a word is dropped: Sa'ad = Saad).

Words that belong together are joined first (join_compounds):
  1. The article: "al"/"el" written apart joins the next word as "al": Al-Rashid, Al Rashid,
     El-Rashid -> alrashid (the stored name also keeps the bare "rashid").
  2. Abd-compounds: abd / abdu / abdul / abdel / abdal / abdol (+ al) + X -> "abdal" + X:
     Abdulrahman, Abdul Rahman, Abdelrahman, Abd al-Rahman, Abdurrahman -> abdalrahman.
  3. Abu-compounds: abu / abou / abo + X -> "abu" + X: Abu Zaid, Abuzaid, Abou Zeid -> abuzaid.
  4. Arabic: "عبد" and "ابو" written apart join the next word (عبد الرحمن = عبدالرحمن).

Then each Latin word is folded (fold_word), in this order:
  1. A word of 6+ letters that starts with al/el is "al" + the fold of the rest
     (AlRashid = Al-Rashid); the rest (4+ letters) is also a word of its own (AlRashid meets
     Rashid). Shorter ones (Alia, Alaa, Elias) are left whole.
  2. A final "ah" is "a" (Aishah, Fatimah, Hamzah); a final "e" after a consonant is silent
     (Yasmine, Amine).
  3. Double letters are single (Hassan = Hasan, Mohammed = Mohamed, Sumayyah = Sumaya).
  4. "ou" is "u" (Yousef, Mahmoud, Mansour, Noura).
  5. ei / ey / ay before a consonant or the end are "ai" (Hussein = Husain, Layla = Leila,
     Zeinab = Zaynab, Faysal = Faisal, Aysha = Aisha).
  6. "e" is "i" (Khaled = Khalid, Ebrahim = Ibrahim, Rasheed = Rashid) and "o" is "u"
     (Omar = Umar, Mostafa = Mustafa).
  7. "y" between a consonant and a vowel, "y" ending a word after a consonant and "iy" before
     a vowel are "i" (Maryam = Mariam, Hady = Hadi, Ziyad = Ziad).
  8. "q" is "k" (Tariq = Tarik, Qasim = Kasim); "g" that is not "gh" is "j" (Gamal = Jamal).
  9. Step 3 again, then a short table of forms (also inside a longer word) where the vowels
     of a name vary beyond these rules: muhamid -> muhamad (Mohamed, Mohammed),
     ahmid -> ahmad (Ahmed), yusif -> yusuf (Yousef, Youssef, Yousif), yunis -> yunus.

Short vowels a / i / u stay apart, and so do the long-i diphthong (ai) and a plain "a"; that
keeps different names apart: Hassan / Hussein, Omar / Ammar / Amr, Rashid / Rashad,
Hamid / Hamad, Mohammed / Mahmoud / Ahmed, Zaid / Zayed, Jamal / Jamil.
Known limits: a vowel dropped in one spelling (Fatma / Fatima, Fahd / Fahad, Badr / Bader)
does not meet; Amer and Amir (two names that e -> i makes one) and Sayed and Saeed do meet.
Arabic-script words are only joined (step 4 of the joins): deskbook.normalize already folds
their letter variants, hamza seats and tashkeel.

A word still being typed (the last of a search) can fold unlike the start of the name it will
become: "Abdu" is not the start of "abdalrahman", "Ziy" (ziy) not of Ziyad (ziad), "Al-G"
(alj) not of Al-Ghamdi. typing_forms gives the folds of the stem that the rest of the word
may bring: the fold as if a vowel followed, the article split off, "g" as the start of "gh",
an abd-compound's stem, and the start of a table form. Each is a prefix of the stored word,
so search still looks up word starts; the stored fold never changes, and neither does any
full word's fold (the pairs that must not meet still do not).
"""

from __future__ import annotations

import re
from functools import lru_cache

_VOWELS = "aeiou"
_LATIN = re.compile(r"^[a-z]+$")
_ARTICLES = ("al", "el")
_ABD = re.compile(r"^abd(?:[aeiou]{1,2}l|[aeiou](?=([b-df-hj-np-tv-z])\1))(.*)$")
_ABD_WORDS = frozenset({"abd", "abdu", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdil"})
_ABU_WORDS = frozenset({"abu", "abou", "abo"})
_AR_ARTICLE = "ال"
_AR_JOINERS = frozenset({"عبد", "ابو"})
_TABLE = {
    "muhamid": "muhamad",
    "muhammid": "muhamad",
    "ahmid": "ahmad",
    "yusif": "yusuf",
    "yunis": "yunus",
}
# Inside a word too: AlAhmed is al + ahmad, Hamohammed holds muhamad.
_TABLE_FORMS = re.compile("|".join(sorted(_TABLE, key=len, reverse=True)))
_DOUBLE = re.compile(r"([a-z])\1+")
_DIPHTHONG = re.compile(r"(?:ei|ey|ay)(?![aeiou])")
_Y_GLIDE = re.compile(r"(?<=[b-df-hj-np-tv-z])y(?=[aeiou])|(?<=[b-df-hj-np-tv-z])y$|iy(?=[aeiou])")
_SILENT_E = re.compile(r"(?<=[b-df-hj-np-tv-z])e$")
_G = re.compile(r"g(?!h)")
# An apostrophe inside a word marks an ayn or a hamza: Sa'ad is Saad, Isma'il is Ismail.
APOSTROPHES = re.compile(r"(?<=\w)['\u2019\u02bf\u02bb`](?=\w)")
BARE_MIN = 4  # the shortest rest of a glued "al" word kept as a word of its own


def _fold_core(word: str) -> str:
    if word.endswith("ah") and len(word) > 3:
        word = word[:-1]
    word = _SILENT_E.sub("", word) if len(word) > 3 else word
    word = _DOUBLE.sub(r"\1", word)
    word = word.replace("ou", "u")
    word = _DIPHTHONG.sub("ai", word)
    word = word.replace("e", "i").replace("o", "u")
    word = _Y_GLIDE.sub("i", word)
    word = _G.sub("j", word.replace("q", "k"))
    word = _DOUBLE.sub(r"\1", word)
    return _TABLE_FORMS.sub(lambda m: _TABLE[m.group(0)], word)


@lru_cache(maxsize=200_000)  # names repeat: an import of a clinic's list folds each once
def fold_word(word: str) -> str:
    """One word in its folded form (rules 1-9 of the module docstring). Arabic-script words
    and words with digits are returned as they are."""
    if not _LATIN.match(word):
        return word
    if word[:2] in _ARTICLES and len(word) >= 2 + BARE_MIN:
        return "al" + _fold_core(word[2:])
    return _fold_core(word)


def bare_word(folded: str) -> str | None:
    """The name inside a folded "al" word ("alrashid" -> "rashid"), or None."""
    if folded.startswith("al") and len(folded) >= 2 + BARE_MIN and _LATIN.match(folded):
        return folded[2:]
    return None


def _abd(word: str) -> str | None:
    """'abdulrahman' -> 'abdalrahman'; None when the word is not an abd-compound."""
    match = _ABD.match(word)
    if match is None:
        return None
    return "abdal" + match.group(2)


def _typing_forms(word: str) -> set[str]:
    """typing_forms of one joined Latin word."""
    forms = {fold_word(word)}
    # As if a vowel followed: "Zaye" (zai) is the start of Zayed (zayid), "Ayy" (ai) of Ayyub.
    vowel = "i" if word.endswith("a") else "a"
    forms.add(fold_word(word + vowel)[:-1])
    if word.endswith("g"):  # "Al-G" and "Mug" may go on to "gh"
        forms.add(fold_word(word + "h")[:-1])
    if word[:2] in _ARTICLES and len(word) < 2 + BARE_MIN:
        # Too short to be split at the article yet: "Eliz" is the start of Elizabeth
        # (alizabith), "Al-Y" of Al-Yahya (alyahia).
        rest = word[2:]
        forms |= {"al" + form for form in (_typing_forms(rest) if rest else {""})}
    if re.fullmatch(r"abd[aeiou]{1,2}|abd[aeiou][b-df-hj-np-tv-z]", word):
        # "Abdu", "Abde", "Abdou" and "Abdur" are the start of an abd-compound.
        forms.add("abdal" + word[4:].lstrip(_VOWELS))
    for folded in list(forms):
        # "Yousi" (yusi) is the start of Yousif (yusuf): a table form being typed.
        for key, value in _TABLE.items():
            for length in range(len(key) - 1, 2, -1):
                if folded.endswith(key[:length]) and key[:length] != value[:length]:
                    forms.add(folded[: len(folded) - length] + value[:length])
                    break
    return forms


def typing_forms(words: list[str]) -> tuple[str, ...]:
    """The folds that the last word of a search being typed may be the start of, other than
    its plain fold, joined to the folded words before it (see the module docstring). Words
    are normalised text; the forms are whole folded queries."""
    if not words or not _LATIN.match(words[-1]):
        return ()
    joined = join_compounds(words)
    head = [fold_word(word) for word, _ in joined[:-1]]
    last = joined[-1][0]
    plain = fold_word(last)
    forms = _typing_forms(last)
    if (
        len(words) >= 2
        and words[-2] in _ABD_WORDS
        and (words[-1] in ("a", "e") or words[-1][:2] in _ARTICLES)
    ):
        # "Abd al" is the start of Abd al-Rahman (abdalrahman), "Abd All" of Abd Allah.
        forms |= _typing_forms("abdal" + words[-1][2:])
    if words[-1] == "el":
        forms.add("al")
    # A form the plain fold starts finds nothing the plain fold does not.
    return tuple(
        " ".join([*head, form]) for form in sorted(forms) if form and not form.startswith(plain)
    )


def join_compounds(words: list[str]) -> list[tuple[str, bool]]:
    """Words with the article, abd- and abu-compounds joined (joins 1-4 of the docstring);
    each with whether it was joined from an article written apart ("al rashid")."""
    out: list[tuple[str, bool]] = []
    index = 0
    while index < len(words):
        word = words[index]
        rest = words[index + 1] if index + 1 < len(words) else None
        if rest is not None and word in _ABD_WORDS:
            index += 1
            if rest in _ARTICLES and index + 1 < len(words):
                index += 1
                rest = words[index]
            elif rest[:2] in _ARTICLES and len(rest) > 4:
                rest = rest[2:]
            out.append(("abdal" + rest, False))
        elif rest is not None and word in _ABU_WORDS:
            index += 1
            out.append(("abu" + rest, False))
        elif rest is not None and word in _AR_JOINERS:
            index += 1
            out.append((word + rest, False))
        elif rest is not None and (word in _ARTICLES or word == _AR_ARTICLE):
            index += 1
            out.append((("al" if word in _ARTICLES else word) + rest, True))
        else:
            out.append((_abd(word) or word, False))
        index += 1
    return out
