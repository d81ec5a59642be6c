// Regression (found by `npm run chaos` bad-input): a path parameter with a broken percent-encoding was a 500.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/testApp.js';

describe('chaos regression: malformed percent-encoding in a path', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.stop());

  for (const path of ['/users/%', '/users/%E0%A4%A', '/bills/%', '/payments/%zz', '/documents/%/content', '/users/%/bills']) {
    it(`when GET ${path}, then 404 problem+json, not 500`, async () => {
      const res = await t.http.get(path).expect(404);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
      expect(res.body).to.include({ status: 404 });
      expect(res.text).to.not.include('Failed to decode');
    });
  }

  it('when PATCH /users/% with a valid body, then 404 and nothing is written', async () => {
    await t.http.patch('/users/%').send({ name: 'Nobody' }).expect(404);
    const events = await t.http.get('/events').expect(200);
    expect(events.body.items).to.have.length(0);
  });
});
