"""Writes the golden tokenization the Android app's tokenizer must reproduce exactly.

    .venv/bin/python scripts/make_tokenizer_golden.py   # rewrites android_demo/core/src/test/resources/

The Python side (`tinybert_tf.BertTokenizer`, i.e. HF tokenizers) encodes a varied corpus
(fine_foods reviews, accents, unicode case rules, punctuation, CJK, emoji, control and
unassigned characters, over-long words and texts, pairs with every truncation shape),
uncased and cased, at two lengths. `tests/test_android_demo.py` checks the committed file is
what this script produces now; the JUnit `GoldenTokenizationTest` checks the Java side.
"""

import json
import os
import shutil
import sys

OUT = os.path.join(os.path.dirname(__file__), "..", "android_demo", "core", "src", "test", "resources")

HANDWRITTEN = [
    "", "   ", "a", "A", "Hello, World!", "don't stop-believing... (really) [ok] {x} <y> #1 $5 100% a&b @me ^_^ `q` |p| ~z",
    "Café résumé naïve coöperate façade Ångström Øre ßtraße STRASSE ẞ",
    "İstanbul ıi ǅemal ǈ Ǌ ΟΔΥΣΣΕΥΣ σοφός ς Ωmega µ ﬁnance ﬀ Ⅻ ⅻ",
    "Привет, мир! Ёлка. Україна", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया क्षत्रिय", "สวัสดีครับ",
    "中文分词测试：我爱北京天安门。", "日本語のテキスト、カタカナとひらがな。", "한국어 텍스트 입니다", "𠀀𠀁 CJK ext B 𪜀",
    "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇫🇷 ♥ ★ ✓", "zero\u200bwidth\u200djoiner\u2060word soft\u00adhyphen",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u3000ideographic\u2028line\u2029para\u0085nel",
    "control\x00chars\x07here\x1b[31m\ufffdreplacement\ufeffbom", "private \ue000 use \U000f0000 unassigned \u0378 \U000e0001 \U0010ffff new \U0001fa70 \u20bf",
    "combining e\u0301 a\u0300 n\u0303 o\u0308 decomposed vs é à ñ ö", "full‐width ＡＢＣ！？ １２３ «guillemets» „quotes“ ‘single’",
    "math ±∞≠≤≥ √∑∏ ∫ ½ ¾ x² H₂O", "currency €20 £5 ¥100 ₹50 ¢ ₿", "url https://example.com/a?b=c&d=e#f mail a.b@c.de",
    "numbers 3.14159 1,000,000 -42 +7 1e10 0x1F 2026-11-23 12:30pm",
    "a" * 99, "b" * 100, "c" * 101, "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "unaffable unbelievably reconsiderations", "UPPER lower MiXeD CamelCaseWord snake_case_word kebab-case-word",
    " ".join(["word"] * 300), "long " + "é" * 150, "The quick brown fox jumps over the lazy dog. " * 20,
]
PAIRS = [
    ("short", "also short"), ("short", " ".join(["long"] * 200)), (" ".join(["long"] * 200), "short"),
    (" ".join(["first"] * 100), " ".join(["second"] * 100)), (" ".join(["odd"] * 61), " ".join(["even"] * 62)),
    ("", "empty first"), ("empty second", ""), ("Is this coffee good?", "Best coffee I've had in years!"),
    ("中文问题？", "日本語の答え。"), ("a" * 120, "b b b"),
]


def main():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from tinybert_tf import BertTokenizer
    from tinybert_tf import data as data_lib
    from tinybert_tf.checkpoint import resolve_model_dir

    golden = build(BertTokenizer, data_lib, resolve_model_dir)
    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(os.path.join(resolve_model_dir("minilm-l6"), "vocab.txt"), os.path.join(OUT, "vocab.txt"))
    with open(os.path.join(OUT, "tokenizer_golden.json"), "w", encoding="utf-8") as f:
        f.write(dump(golden))
    print(f"{len(golden['cases'])} cases -> {os.path.abspath(OUT)}")


def build(BertTokenizer, data_lib, resolve_model_dir):
    vocab = os.path.join(resolve_model_dir("minilm-l6"), "vocab.txt")
    reviews = data_lib.load_task("fine_foods").test.texts[:150]
    singles = HANDWRITTEN + list(reviews)
    cases = []
    for lower in (True, False):
        tok = BertTokenizer.from_vocab_file(vocab, do_lower_case=lower)
        for max_length in (128, 16):
            for text in singles:
                cases.append(case(tok, lower, max_length, text, None))
            for text, pair in PAIRS + [(reviews[i], reviews[i + 1]) for i in range(0, 40, 2)]:
                cases.append(case(tok, lower, max_length, text, pair))
    return {"source": "scripts/make_tokenizer_golden.py", "vocab": "vocab.txt", "cases": cases}


def case(tok, lower, max_length, text, pair):
    enc = tok([text], None if pair is None else [pair], max_length=max_length, padding="longest")
    return {"do_lower_case": lower, "max_length": max_length, "text": text, "pair": pair,
            "input_ids": enc["input_ids"][0].tolist(), "token_type_ids": enc["token_type_ids"][0].tolist()}


def dump(golden):
    """One case a line (reviewable diffs), ASCII escapes (any editor shows it)."""
    head = {k: v for k, v in golden.items() if k != "cases"}
    lines = ",\n".join(json.dumps(c, ensure_ascii=True) for c in golden["cases"])
    return json.dumps(head, ensure_ascii=True)[:-1] + ', "cases": [\n' + lines + "\n]}\n"


if __name__ == "__main__":
    main()
