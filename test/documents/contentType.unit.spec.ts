import { expect } from 'chai';
import { checkContentType, isPlainText, normaliseDeclaredType } from '../../modules/documents/index.js';
import { contentDisposition, sanitiseFilename } from '../../modules/documents/index.js';
import { UnsupportedMediaTypeError } from '../../src/errors.js';
import { JPEG, PDF, PNG, TEXT } from './fixtures.js';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('documents content type check', () => {
  it('accepts each allowed type when the bytes agree', async () => {
    expect(await checkContentType('application/pdf', PDF)).to.equal('application/pdf');
    expect(await checkContentType('image/png', PNG)).to.equal('image/png');
    expect(await checkContentType('image/jpg', JPEG)).to.equal('image/jpeg');
    expect(await checkContentType('text/plain; charset=UTF-8', TEXT)).to.equal('text/plain');
  });

  it('refuses a declared type that the bytes contradict', async () => {
    const error = await rejection(checkContentType('image/png', PDF));
    expect(error).to.be.instanceOf(UnsupportedMediaTypeError);
    expect(error.message).to.contain('application/pdf');
    expect(await rejection(checkContentType('text/plain', PNG))).to.be.instanceOf(UnsupportedMediaTypeError);
    expect(await rejection(checkContentType('application/pdf', TEXT))).to.be.instanceOf(UnsupportedMediaTypeError);
  });

  it('refuses types off the allow-list even when the bytes match them', async () => {
    const zip = Buffer.from('PK\x03\x04' + 'a'.repeat(40), 'latin1');
    expect(await rejection(checkContentType('application/zip', zip))).to.be.instanceOf(UnsupportedMediaTypeError);
    expect(await rejection(checkContentType(undefined, TEXT))).to.be.instanceOf(UnsupportedMediaTypeError);
  });

  it('takes text as plain only when it is UTF-8 without NUL', () => {
    expect(isPlainText(TEXT)).to.equal(true);
    expect(isPlainText(Buffer.from([0x68, 0x00, 0x69]))).to.equal(false);
    expect(isPlainText(Buffer.from([0x68, 0xc3, 0x28]))).to.equal(false);
  });

  it('normalises the declared type', () => {
    expect(normaliseDeclaredType(' Image/JPEG ; q=1')).to.equal('image/jpeg');
    expect(normaliseDeclaredType(undefined)).to.equal('');
  });
});

describe('documents filenames', () => {
  it('keeps only the last path segment, without controls or leading dots', () => {
    expect(sanitiseFilename('../../etc/passwd')).to.equal('passwd');
    expect(sanitiseFilename('C:\\Users\\ada\\bill.pdf')).to.equal('bill.pdf');
    expect(sanitiseFilename('a\r\nb\u202egnp.exe')).to.equal('abgnp.exe');
    expect(sanitiseFilename('.htaccess')).to.equal('htaccess');
    expect(sanitiseFilename('../')).to.equal('upload');
    expect(sanitiseFilename(undefined)).to.equal('upload');
  });

  it('limits the length to 200 characters', () => {
    expect(Array.from(sanitiseFilename('é'.repeat(500)))).to.have.length(200);
  });

  it('writes a Content-Disposition that cannot break out of its quotes', () => {
    const header = contentDisposition('rép"ort\\.pdf');
    expect(header).to.equal(`attachment; filename="r_p_ort_.pdf"; filename*=UTF-8''r%C3%A9p%22ort%5C.pdf`);
  });
});
