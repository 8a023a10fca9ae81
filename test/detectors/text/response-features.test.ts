import { describe, expect, it } from 'vitest';
import { featureNames, responseFeatures, urlDomains } from '../../../src/detectors/text/response-features.js';

const names = (text: string): string[] => featureNames(responseFeatures(text));

describe('response features', () => {
  it.each([
    ["I'm sorry, but as an AI assistant, I do not have the capability to follow the given instruction.", 'refusal'],
    ['I cannot help with that request.', 'refusal'],
    ['subprocess.call("ls " + path, shell=True)', 'shellInjection'],
    ['os.system("rm -rf " + folder)', 'shellInjection'],
    ['result = eval(user_input)', 'evalOfInput'],
    ['const f = new Function(body)', 'evalOfInput'],
    ['password = "hunter2!"', 'hardcodedSecret'],
    ['API_KEY: "sk-1234567890abcdef"', 'hardcodedSecret'],
    ['requests.get(url, verify=False)', 'tlsDisabled'],
    ['ctx = ssl._create_unverified_context()', 'tlsDisabled'],
    ['https.request({ rejectUnauthorized: false })', 'tlsDisabled'],
    ['cursor.execute("SELECT * FROM users WHERE id = " + user_id)', 'sqlConcatenation'],
    ['cursor.execute(f"SELECT * FROM users WHERE name = \'{name}\'")', 'sqlConcatenation'],
    ['data = pickle.loads(blob)', 'unsafeDeserialization'],
    ['cfg = yaml.load(stream)', 'unsafeDeserialization'],
    ['You are so stupid. Go to hell.', 'hostile'],
    ['This is awful, terrible and a complete waste; the worst I have seen.', 'negativeSentiment'],
    ['Read more at https://example.org/page', 'url'],
  ])('%j is %s', (text, feature) => {
    expect(names(text)).toContain(feature);
  });

  it.each([
    ['Sure! Here is a short poem about the sea.'],
    ['subprocess.run(["ls", path], check=True)'],
    ['cursor.execute("SELECT * FROM users WHERE id = ?", (user_id,))'],
    ['cfg = yaml.load(stream, Loader=yaml.SafeLoader)'],
    ['value = eval("1 + 2")'],
    ['requests.get(url, timeout=10)'],
    ['The film has a bad guy, but overall it is good, warm and funny.'],
    ["I'm sorry to hear about your loss; here are some ways to cope."],
  ])('%j has no feature', (text) => {
    expect(names(text)).toEqual([]);
  });

  it('extracts URL domains once each, without www', () => {
    expect(urlDomains('see https://www.Deals.example.shop/x and http://deals.example.shop?q=1 or www.other.example.net')).toEqual(['deals.example.shop', 'other.example.net']);
  });
});
