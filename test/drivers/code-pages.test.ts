import t from 'tap';
import { codePage, codePageByNumber, decodeText, encodeText, transliterate } from '../../drivers/code-pages.ts';

const roundTrip = (text: string, page: string) => decodeText(encodeText(text, codePage(page)), codePage(page));

const cases: Array<[name: string, page: string, input: string, printed: string]> = [
  ['CP858 has €, ü, ñ', 'cp858', 'Käse 3,50 € – Piñata für Jürgen', 'Käse 3,50 € - Piñata für Jürgen'],
  ['CP437 has ü and ñ but no €', 'cp437', 'Müsli 2 € ñ', 'Müsli 2 EUR ñ'],
  ['CP852 (Central Europe) has ł, ő; é; no ñ', 'cp852', 'Łódź Győr café piñata', 'Łódź Győr café pinata'],
  ['CP1252 has € and curly quotes', 'cp1252', '“Preis” 5 €', '“Preis” 5 €'],
  ['CP866 is Cyrillic: Latin accents fall back to ASCII', 'cp866', 'Привет Zürich', 'Привет Zurich'],
  ['unmappable without an ASCII form becomes ?', 'cp437', 'tea 茶', 'tea ?'],
  ['emoji (surrogate pair) is one ?', 'cp858', 'ok 👍', 'ok ?'],
  ['ß, æ, œ transliterated where missing', 'cp866', 'Straße Æsir œuvre', 'Strasse AEsir oeuvre'],
  ['control characters never reach the printer', 'cp437', 'a\x1b@b\x1dV\x00c\x10\x04\x01', 'a?@b?V?c???'],
  ['tab becomes a space, newline stays', 'cp437', 'a\tb\nc', 'a b\nc'],
];

for (const [name, page, input, printed] of cases) {
  t.test(name, async (t) => {
    t.equal(roundTrip(input, page), printed);
    const bytes = encodeText(input, codePage(page));
    t.notOk(bytes.some((b) => b < 0x20 && b !== 0x0a), 'no control bytes in text');
  });
}

t.test('€ is byte 0xD5 in CP858', async (t) => {
  t.same([...encodeText('€', codePage('cp858'))], [0xd5]);
});

t.test('tables by ESC t number, with overrides', async (t) => {
  t.equal(codePageByNumber(19).name, 'cp858');
  t.equal(codePageByNumber(0).name, 'cp437');
  t.equal(codePageByNumber(99).name, 'cp437', 'unknown numbers fall back to the default table');
  t.equal(codePageByNumber(99, { 99: 'cp858' }).name, 'cp858');
  t.throws(() => codePage('cp9999'), /unknown code page/);
});

t.test('transliteration', async (t) => {
  t.equal(transliterate('é'), 'e');
  t.equal(transliterate('€'), 'EUR');
  t.equal(transliterate('Ł'), 'L');
  t.equal(transliterate('中'), '?');
});
