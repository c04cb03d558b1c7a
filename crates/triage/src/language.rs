//! Language identification: the writing system first (Cyrillic, Arabic, Han,
//! Kana, Hangul...), then, for Latin script, which language's common words
//! the message uses most. Short texts with no evidence are `und`.

use crate::tokenize::{TokKind, Tokens};
use crate::words::{WordInfo, flags};

/// The Latin-script languages told apart by their common words, in bit order.
pub(crate) const LATIN_LANGS: [&str; 7] = ["en", "es", "fr", "de", "pt", "it", "nl"];

/// Common words of each language in [`LATIN_LANGS`], normalised as the tokenizer does.
pub(crate) const STOPWORDS: [&[&str]; 7] = [
    &[
        "the", "and", "is", "are", "was", "were", "to", "of", "in", "for", "on", "my", "you", "your", "it", "its",
        "this", "that", "with", "have", "has", "had", "be", "been", "will", "not", "at", "me", "we", "they", "what",
        "why", "how", "can", "just", "get", "got", "from", "but", "so", "do", "did", "does", "i", "im", "an", "our",
        "would", "could", "should", "thanks", "thank", "please", "when", "where", "who", "any", "all", "no", "yes",
        "there", "their", "about", "if", "or", "by", "up", "out", "now", "today", "again", "still", "dont", "cant",
        "flight", "help", "service", "customer", "hours", "time", "one", "us", "he", "she", "them", "than", "then",
    ],
    &[
        "el", "la", "los", "las", "de", "que", "y", "en", "un", "una", "por", "para", "con", "es", "no", "mi", "su",
        "muy", "pero", "como", "más", "mas", "gracias", "hola", "este", "esta", "estoy", "lo", "le", "del", "al", "se",
        "ya", "porque", "vuelo", "tengo", "hay", "nos", "sin", "todo", "qué", "cuando", "también", "pues", "ustedes",
    ],
    &[
        "le", "la", "les", "de", "des", "du", "et", "est", "un", "une", "pour", "pas", "que", "qui", "dans", "sur",
        "avec", "je", "vous", "nous", "mon", "ma", "mes", "merci", "bonjour", "ce", "cette", "il", "elle", "sont",
        "très", "au", "aux", "ne", "jai", "cest", "mais", "vol", "tout", "plus", "rien", "toujours", "votre",
    ],
    &[
        "der", "die", "das", "und", "ist", "nicht", "ich", "sie", "mit", "den", "dem", "ein", "eine", "zu", "auf",
        "für", "von", "mein", "meine", "danke", "bitte", "wir", "es", "auch", "noch", "aber", "wie", "bei", "sehr",
        "kein", "keine", "flug", "habe", "hat", "warum", "immer", "schon", "euch", "ihr", "heute",
    ],
    &[
        "o", "os", "a", "as", "de", "do", "da", "dos", "das", "e", "é", "em", "um", "uma", "para", "com", "não", "nao",
        "que", "meu", "minha", "obrigado", "obrigada", "voo", "por", "mais", "mas", "muito", "está", "voce", "você",
        "vocês", "isso", "isto", "ele", "ela", "no", "na", "nos", "tem", "foi", "ainda", "hoje",
    ],
    &[
        "il", "lo", "la", "gli", "le", "di", "e", "è", "che", "per", "non", "un", "una", "con", "sono", "mio", "mia",
        "grazie", "ciao", "del", "della", "ma", "anche", "molto", "questo", "questa", "volo", "ho", "hanno", "siete",
        "perché", "ancora", "oggi", "sempre", "nel", "alla",
    ],
    &[
        "de", "het", "een", "en", "is", "niet", "ik", "je", "met", "op", "voor", "dat", "die", "zijn", "mijn",
        "bedankt", "dank", "maar", "ook", "wel", "nog", "naar", "er", "jullie", "vlucht", "heb", "waarom", "geen",
        "uit", "kan", "wat",
    ],
];

/// The language of a writing system that belongs to one language (or one
/// dominant one), by character.
fn script_language(c: char) -> Option<&'static str> {
    Some(match c as u32 {
        0x0370..=0x03FF => "el",
        0x0400..=0x04FF => "ru",
        0x0530..=0x058F => "hy",
        0x0590..=0x05FF => "he",
        0x0600..=0x06FF | 0x0750..=0x077F => "ar",
        0x0900..=0x097F => "hi",
        0x0980..=0x09FF => "bn",
        0x0B80..=0x0BFF => "ta",
        0x0E00..=0x0E7F => "th",
        0x10A0..=0x10FF => "ka",
        0x3040..=0x30FF => "ja",
        0x4E00..=0x9FFF | 0x3400..=0x4DBF => "zh",
        0xAC00..=0xD7AF | 0x1100..=0x11FF => "ko",
        _ => return None,
    })
}

/// For each byte, its bits as eight counts of 0 or 1.
const VOTES: [[u8; 8]; 256] = {
    let mut table = [[0u8; 8]; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < 8 {
            table[b][i] = (b >> i & 1) as u8;
            i += 1;
        }
        b += 1;
    }
    table
};

/// Guesses the language of a tokenised message from its letters and words.
pub(crate) fn detect(text: &str, tokens: &Tokens, infos: &[WordInfo]) -> &'static str {
    let mut latin = 0u32;
    let mut scripts: [(&str, u32); 4] = [("", 0); 4];
    let mut has_kana = false;
    let mut ukrainian = false;
    let mut persian = false;
    for t in tokens.list.iter().filter(|t| t.kind == TokKind::Word) {
        if !t.non_ascii {
            latin += t.end - t.start;
            continue;
        }
        for c in text.get(t.start as usize..t.end as usize).unwrap_or("").chars() {
            if c.is_ascii_alphabetic() || matches!(c as u32, 0x00C0..=0x024F) {
                latin += 1;
            } else if let Some(lang) = script_language(c) {
                has_kana |= lang == "ja";
                ukrainian |= matches!(c, 'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ');
                persian |= matches!(c, 'پ' | 'چ' | 'ژ' | 'گ');
                if let Some(slot) = scripts.iter_mut().find(|(l, _)| *l == lang || l.is_empty()) {
                    slot.0 = lang;
                    slot.1 += 1;
                }
            }
        }
    }
    let (best_script, script_count) = scripts.iter().copied().max_by_key(|(_, n)| *n).unwrap_or(("", 0));
    if script_count > latin {
        return match best_script {
            "zh" if has_kana => "ja",
            "ru" if ukrainian => "uk",
            "ar" if persian => "fa",
            other => other,
        };
    }
    // Each token votes for the languages whose lists have it, and for English
    // once more when it is in the English lexicon: the bits of one byte,
    // added as eight counters at once.
    let mut counts = [0u32; 8];
    for info in infos {
        let bits = info.langs | u8::from(info.flags & flags::ENGLISH_LEXICON != 0) << 7;
        for (c, v) in counts.iter_mut().zip(&VOTES[usize::from(bits)]) {
            *c += u32::from(*v);
        }
    }
    let mut votes = [0u32; LATIN_LANGS.len()];
    votes.copy_from_slice(&counts[..LATIN_LANGS.len()]);
    votes[0] += counts[7];
    let mut best = 0;
    for i in 1..votes.len() {
        if votes[i] > votes[best] {
            best = i;
        }
    }
    if votes[best] == 0 {
        return "und";
    }
    LATIN_LANGS[best]
}

#[cfg(test)]
mod tests {
    use crate::Triager;
    use firebreak_domain::Channel;

    fn lang(text: &str) -> String {
        Triager::builtin().judge(text, Channel::X).language.into_owned()
    }

    #[test]
    fn tells_common_languages_apart() {
        assert_eq!(lang("@united my flight was cancelled and nobody helps"), "en");
        assert_eq!(lang("@Iberia mi vuelo está retrasado y nadie me ayuda, gracias por nada"), "es");
        assert_eq!(lang("@AirFrance mon vol est annulé et personne ne répond, merci"), "fr");
        assert_eq!(lang("@lufthansa mein Flug ist schon wieder verspätet, danke für nichts"), "de");
        assert_eq!(lang("@TAP o meu voo foi cancelado e ninguém responde, obrigado"), "pt");
        assert_eq!(lang("Мой рейс отменили"), "ru");
        assert_eq!(lang("フライトがキャンセルされました"), "ja");
        assert_eq!(lang("航班取消了"), "zh");
        assert_eq!(lang("항공편이 취소되었습니다"), "ko");
        assert_eq!(lang("رحلتي ألغيت"), "ar");
        assert_eq!(lang("@united 😡😡"), "und");
        assert_eq!(lang(""), "und");
    }
}
