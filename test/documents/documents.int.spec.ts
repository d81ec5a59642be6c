import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import type { Response } from 'supertest';
import { textFor } from '../../src/storage/Storage.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { createBill, createUser, JPEG, PDF, PNG, TEXT } from './fixtures.js';

function expectProblem(res: Response, status: number, field?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  const body = JSON.parse(res.text);
  expect(body.status).to.equal(status);
  if (field) expect(body.errors.map((e: { field: string }) => e.field)).to.include(field);
}

describe('documents over HTTP', () => {
  let t: TestApp;
  let userId: string;
  beforeEach(async () => {
    t = await startTestApp({ MAX_UPLOAD_BYTES: '4096' });
    userId = await createUser(t);
  });
  afterEach(() => t.stop());

  const upload = (bytes: Buffer, filename: string, contentType: string, fields: Record<string, string> = { userId }) => {
    let req = t.http.post('/documents');
    for (const [name, value] of Object.entries(fields)) req = req.field(name, value);
    return req.attach('file', bytes, { filename, contentType });
  };
  const uploadDirFiles = () => fs.readdirSync(t.app.config.uploadDir);

  describe('when a PDF is uploaded for a bill of the user', () => {
    it('then it answers 201 with the document, records document.uploaded and serves the same bytes back', async () => {
      const billId = await createBill(t, userId);
      const res = await upload(PDF, 'march bill.pdf', 'application/pdf', { userId, billId }).expect(201);
      const sha256 = createHash('sha256').update(PDF).digest('hex');
      expect(res.body).to.include({ userId, billId, filename: 'march bill.pdf', contentType: 'application/pdf', size: PDF.length, sha256 });
      expect(res.headers.location).to.equal(`/documents/${res.body.id}`);

      expect((await t.http.get(`/documents/${res.body.id}`).expect(200)).body).to.deep.equal(res.body);
      const content = await t.http.get(`/documents/${res.body.id}/content`).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(content.status).to.equal(200);
      expect(Buffer.compare(content.body as Buffer, PDF)).to.equal(0);
      expect(content.headers['content-type']).to.equal('application/pdf');
      expect(content.headers['x-content-type-options']).to.equal('nosniff');
      expect(content.headers['content-disposition']).to.equal(`attachment; filename="march bill.pdf"; filename*=UTF-8''march%20bill.pdf`);

      const events = (await t.http.get(`/events?type=document.uploaded`).expect(200)).body.items;
      expect(events).to.have.length(1);
      expect(events[0].payload).to.deep.equal({ documentId: res.body.id, userId, billId, filename: 'march bill.pdf', contentType: 'application/pdf', size: PDF.length, sha256 });
      // Stored under the generated id only, with no temp file left behind.
      expect(uploadDirFiles()).to.deep.equal([res.body.id]);
    });
  });

  it('when UTF-8 text is uploaded without a bill, then it is stored and served as text/plain; charset=utf-8', async () => {
    const res = await upload(TEXT, 'notes.txt', 'text/plain').expect(201);
    expect(res.body.billId).to.equal(null);
    const content = await t.http.get(`/documents/${res.body.id}/content`).expect(200);
    expect(content.headers['content-type']).to.equal('text/plain; charset=utf-8');
    expect(content.text).to.equal(TEXT.toString('utf8'));
  });

  it('when the client filename is a path, then only its last segment is kept, as data', async () => {
    const res = await upload(PNG, '../../../etc/cron.d/evil.png', 'image/png').expect(201);
    expect(res.body.filename).to.equal('evil.png');
    expect(uploadDirFiles()).to.deep.equal([res.body.id]);
  });

  it('when the filename is UTF-8, then it is kept as sent and offered in filename*', async () => {
    const res = await upload(PDF, 'rapport-été.pdf', 'application/pdf').expect(201);
    expect(res.body.filename).to.equal('rapport-été.pdf');
    const content = await t.http.get(`/documents/${res.body.id}/content`).expect(200);
    expect(content.headers['content-disposition']).to.equal(`attachment; filename="rapport-_t_.pdf"; filename*=UTF-8''rapport-%C3%A9t%C3%A9.pdf`);
  });

  it('when an upload is repeated with the same Idempotency-Key, then the first response comes back and nothing is stored twice', async () => {
    const first = await upload(PNG, 'a.png', 'image/png').set('Idempotency-Key', 'doc-1').expect(201);
    const again = await upload(PNG, 'a.png', 'image/png').set('Idempotency-Key', 'doc-1').expect(201);
    expect(again.body).to.deep.equal(first.body);
    expect(uploadDirFiles()).to.deep.equal([first.body.id]);
    expect((await t.http.get('/events?type=document.uploaded')).body.items).to.have.length(1);
    expectProblem(await upload(JPEG, 'a.png', 'image/jpeg').set('Idempotency-Key', 'doc-1'), 422, 'Idempotency-Key');
  });

  describe('when the file is refused', () => {
    it('then a file over MAX_UPLOAD_BYTES is 413 and nothing is stored', async () => {
      expectProblem(await upload(Buffer.alloc(5000, 0x61), 'big.txt', 'text/plain'), 413);
      expect(uploadDirFiles()).to.deep.equal([]);
      expect((await t.http.get('/events?type=document.uploaded')).body.items).to.deep.equal([]);
    });

    it('then a type off the allow-list, or bytes that contradict the declared type, is 415', async () => {
      expectProblem(await upload(Buffer.from('PK\x03\x04' + 'a'.repeat(40), 'latin1'), 'a.zip', 'application/zip'), 415);
      expectProblem(await upload(PDF, 'fake.png', 'image/png'), 415);
      expectProblem(await upload(Buffer.from([0x68, 0x00, 0x69]), 'nul.txt', 'text/plain'), 415);
      expectProblem(await upload(Buffer.from([0xff, 0xfe, 0x41]), 'latin.txt', 'text/plain'), 415);
      expect(uploadDirFiles()).to.deep.equal([]);
    });

    it('then a missing file is 400 naming file', async () => {
      expectProblem(await t.http.post('/documents').field('userId', userId), 400, 'file');
      expectProblem(await t.http.post('/documents').send({ userId }), 400, 'file');
      expectProblem(await upload(Buffer.alloc(0), 'empty.txt', 'text/plain'), 400, 'file');
    });

    it('then bad fields are 400 naming them', async () => {
      expectProblem(await upload(PNG, 'a.png', 'image/png', {}), 400, 'userId');
      expectProblem(await upload(PNG, 'a.png', 'image/png', { userId: 'nope' }), 400, 'userId');
      expectProblem(await upload(PNG, 'a.png', 'image/png', { userId, billId: '42' }), 400, 'billId');
      expectProblem(await upload(PNG, 'a.png', 'image/png', { userId, colour: 'red' }), 400, 'colour');
    });

    it('then multipart that multer refuses is 4xx problem+json, never 500', async () => {
      expectProblem(await t.http.post('/documents').field('userId', userId).attach('upload', PNG, { filename: 'a.png', contentType: 'image/png' }), 400, 'upload');
      const twoFiles = t.http.post('/documents').field('userId', userId).attach('file', PNG, 'a.png').attach('file', PNG, 'b.png');
      expectProblem(await twoFiles, 400, 'file');
      let many = t.http.post('/documents');
      for (let i = 0; i < 20; i++) many = many.field(`f${i}`, 'x');
      expectProblem(await many, 400);
      const truncated = await t.http.post('/documents').set('Content-Type', 'multipart/form-data; boundary=XYZ').send('--XYZ\r\nContent-Disposition: form-data; name="userId"\r\n\r\nabc');
      expectProblem(truncated, 400, 'body');
      expectProblem(await t.http.post('/documents').set('Content-Type', 'multipart/form-data').send('garbage'), 400, 'body');
    });

    it('then an unknown user, an unknown bill or a bill of another user is 422', async () => {
      expectProblem(await upload(PNG, 'a.png', 'image/png', { userId: randomUUID() }), 422, 'userId');
      expectProblem(await upload(PNG, 'a.png', 'image/png', { userId, billId: randomUUID() }), 422, 'billId');
      const otherBill = await createBill(t, await createUser(t));
      expectProblem(await upload(PNG, 'a.png', 'image/png', { userId, billId: otherBill }), 422, 'billId');
      expect(uploadDirFiles()).to.deep.equal([]);
    });
  });

  it('when the commit fails after the file was written, then the file is removed and no event remains', async () => {
    // The read model's insert, inside the commit that appends document.uploaded, fails on either engine.
    const refuseInserts = {
      sqlite: `CREATE TRIGGER refuse_documents BEFORE INSERT ON documents_documents BEGIN SELECT RAISE(ABORT, 'disk said no'); END`,
      postgres: `CREATE FUNCTION refuse_documents() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk said no'; END $$;
        CREATE TRIGGER refuse_documents BEFORE INSERT ON documents_documents FOR EACH ROW EXECUTE FUNCTION refuse_documents()`,
    };
    await t.app.storage.transaction((tx) => tx.exec(textFor(refuseInserts, tx.engine)));
    const res = await upload(PNG, 'a.png', 'image/png');
    expect(res.status).to.equal(500);
    expect(uploadDirFiles()).to.deep.equal([]);
    expect((await t.http.get('/events?type=document.uploaded')).body.items).to.deep.equal([]);
  });

  it('when a document does not exist or the id is malformed, then GET is 404', async () => {
    expectProblem(await t.http.get(`/documents/${randomUUID()}`), 404);
    expectProblem(await t.http.get(`/documents/${randomUUID()}/content`), 404);
    expectProblem(await t.http.get('/documents/not-a-uuid'), 404);
    expectProblem(await t.http.get('/documents/not-a-uuid/content'), 404);
  });
});
