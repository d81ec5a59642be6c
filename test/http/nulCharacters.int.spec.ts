// Text with a NUL character is refused up front on both engines: PostgreSQL cannot store it in TEXT, so without the
// check it would end in a 500 from inside a projection there.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/testApp.js';

describe('text with a NUL character', () => {
  let t: TestApp;
  beforeEach(async () => (t = await startTestApp()));
  afterEach(() => t.stop());

  it('when a JSON body holds one, then 400 names the field and nothing is appended', async () => {
    const res = await t.http.post('/users').send({ email: 'nul@example.com', name: 'a\u0000b' });
    expect(res.status).to.equal(400);
    expect(res.type).to.equal('application/problem+json');
    expect(res.body.errors).to.deep.equal([{ field: 'name', message: 'must not contain a NUL character (\\u0000)' }]);
    expect(await t.app.store.headPosition()).to.equal(0);
  });

  it('when a nested value or a query parameter holds one, then 400 names it', async () => {
    const user = await t.http.post('/users').send({ email: 'ok@example.com', name: 'Ok' }).expect(201);
    const bill = await t.http.post('/bills').send({ userId: user.body.id, amount: 100, currency: 'EUR', dueDate: '2030-01-31', description: 'x\u0000' });
    expect(bill.status).to.equal(400);
    expect(bill.body.errors[0].field).to.equal('description');
    const events = await t.http.get('/events').query({ aggregateId: 'a\u0000b' });
    expect(events.status).to.equal(400);
    expect(events.body.errors[0].field).to.equal('aggregateId');
    expect(await t.app.store.headPosition()).to.equal(1); // the user alone
  });
});
