import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatClient } from '@chat/client';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { type AppProcess, freePort, REPO_ROOT, startApp } from '../support/app-process.js';
import { launchChromium } from '../support/browser.js';
import { ChatPage } from '../support/chat-page.js';
import { get, post } from '../support/http.js';
import { sdkClient, wsUrl } from '../support/sdk-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { RUN_ID } from '../support/test-environment.js';
import { PASSWORD } from '../support/users.js';

/**
 * The web chat (apps/web) in a real Chromium: two people, each in a browser context of their
 * own, Alice's page on edge 1 and Bob's on edge 2, chat through the real system. Everything is
 * asserted on what the pages show, cross-checked against the server's history where that is
 * cheap. WEB_SCREENSHOTS=1 also rewrites the screenshots in docs/screenshots/.
 */
const SCREENSHOTS = process.env.WEB_SCREENSHOTS === '1';
const SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'screenshots');
const DESKTOP = { width: 1200, height: 760 };
const PHONE = { width: 390, height: 780 };
/** Messages Dave sends so that Alice scrolls back through three pages of history. */
const HISTORY_MESSAGES = 70;

/** Logins that read well in the screenshots and are unique in this run's own database. */
const tag = RUN_ID.slice(-5);
const people = {
  alice: { login: `alice.${tag}`, name: 'Alice' },
  bob: { login: `bob.${tag}`, name: 'Bob' },
  carol: { login: `carol.${tag}`, name: 'Carol' },
  dave: { login: `dave.${tag}`, name: 'Dave' },
};

async function registerPerson(authUrl: string, person: { login: string; name: string }) {
  const answer = await post(`${authUrl}/register`, {
    login: person.login,
    password: PASSWORD,
    displayName: person.name,
  });
  expect(answer.status, answer.text).to.equal(201);
  return answer.body as { id: string };
}

describe('web chat in Chromium: two people on two edges', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let web: AppProcess;
  let browser: Browser;
  let alice: ChatPage;
  let bob: ChatPage;
  let dave: ChatClient | undefined;
  let pageUrl: string;

  async function screenshot(chat: ChatPage, name: string, viewport = DESKTOP): Promise<void> {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await chat.page.setViewportSize(viewport);
    await chat.page.waitForTimeout(300); // the layout settles, the list scrolls to the bottom
    await chat.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
    await chat.page.setViewportSize(DESKTOP);
  }

  before(async () => {
    // First, so that a machine without Chromium fails here, saying so, before anything starts.
    browser = await launchChromium();
    const webPort = await freePort();
    const origin = `http://127.0.0.1:${webPort}`;
    // Auth and the edges allow exactly the page's origin, as npm start does for its web chat.
    system = await startSystem({
      withPresence: true,
      env: { AUTH_ALLOWED_ORIGINS: origin, WS_ALLOWED_ORIGINS: origin },
    });
    web = await startApp(
      'web',
      {
        WEB_AUTH_URL: system.auth.url,
        WEB_EDGE_URLS: system.edges.map((edge) => wsUrl(edge.url)).join(','),
        METRICS_PORT: String(await freePort()),
      },
      { name: 'web', port: webPort },
    );
    pageUrl = web.url;
    const person = async () => {
      const context = await browser.newContext({ viewport: DESKTOP });
      context.setDefaultTimeout(15_000);
      return new ChatPage(context, await context.newPage());
    };
    [alice, bob] = await Promise.all([person(), person()]);
  });

  after(async () => {
    dave?.close();
    await browser?.close();
    await web?.stop();
    await system?.stop();
  });

  it('serves the page and a config.json naming auth and both edges', async () => {
    const config = await get(`${pageUrl}/config.json`);
    expect(config.body).to.deep.equal({
      authUrl: system.auth.url,
      edgeUrls: system.edges.map((edge) => wsUrl(edge.url)),
    });
    const page = await get(`${pageUrl}/`);
    expect(page.headers.get('content-security-policy')).to.include(`connect-src 'self' ${system.auth.url}`);
  });

  it('registers Alice in the page and logs Bob in, each page on its own edge', async () => {
    await registerPerson(system.auth.url, people.bob);
    await alice.open(`${pageUrl}/?edge=1`);
    await alice.register(people.alice.login, PASSWORD, people.alice.name);
    await alice.ready();
    await bob.open(`${pageUrl}/?edge=2`);
    await bob.logIn(people.bob.login, 'not the password');
    await bob.visible(bob.page.getByRole('alert').filter({ hasText: 'Wrong login or password.' }));
    await bob.logIn(people.bob.login, PASSWORD);
    await bob.ready();
    await alice.until('her name', () => alice.page.locator('.me-name').textContent(), `Alice (@${people.alice.login})`);
    // The session lives in the tab: a reload stays logged in, on the same edge.
    await alice.page.reload();
    await alice.ready();
    expect(await alice.edge()).to.equal(wsUrl(system.edges[0]?.url ?? ''));
    expect(await bob.edge()).to.equal(wsUrl(system.edges[1]?.url ?? ''));
  });

  it('finds Bob by login, opens the direct chat, and both write, with unread, typing, presence and ticks', async () => {
    await alice.openDirectWith(people.bob.login);
    await alice.visible(alice.header().filter({ hasText: `Bob (@${people.bob.login})` }));
    await alice.visible(alice.header().locator('.presence[data-presence="online"]'));
    await alice.send('Hi Bob!');
    await alice.visible(alice.message('Hi Bob!'));

    // Bob has not opened it: an unread badge and the last message in his list; Alice sees it delivered.
    const inBobsList = bob.listItem('Alice');
    await bob.visible(inBobsList.locator('.badge', { hasText: '1' }));
    expect(await inBobsList.locator('.last-message').textContent()).to.equal('Hi Bob!');
    await alice.until('the tick of a message Bob holds', () => alice.ticks('Hi Bob!'), 'delivered');

    await bob.openConversation('Alice');
    await bob.gone(inBobsList.locator('.badge'));
    await alice.until('the tick of a message Bob read', () => alice.ticks('Hi Bob!'), 'read');

    await bob.type('Hello Alice');
    await alice.visible(alice.typingLine().filter({ hasText: 'Bob is typing…' }));
    await bob.composer().press('Enter');
    await alice.visible(alice.message('Hello Alice'));
    await alice.until('the typing line once Bob sent', () => alice.typingLine().textContent(), '');
    await bob.until('the tick of a message Alice read', () => bob.ticks('Hello Alice'), 'read');
  });

  it('replies, edits, deletes and reacts, and both pages show each change', async () => {
    await bob.act('Hi Bob!', 'Reply');
    await bob.visible(bob.page.locator('.draft-note', { hasText: 'Replying to Alice: Hi Bob!' }));
    await bob.send('Good to see you here');
    const reply = alice.message('Good to see you here');
    await alice.visible(reply.locator('.reply-quote', { hasText: 'Hi Bob!' }));

    await alice.send('Se you at noon');
    await alice.act('Se you at noon', 'Edit');
    await alice.send('See you at noon');
    await bob.visible(bob.message('See you at noon').locator('.edited'));
    await bob.count('the text before the edit', bob.message('Se you at noon'), 0);

    await alice.send('Wrong chat, sorry');
    await bob.visible(bob.message('Wrong chat, sorry'));
    await alice.act('Wrong chat, sorry', 'Delete');
    await bob.count('the deleted text', bob.message('Wrong chat, sorry'), 0);
    await alice.count('messages shown as deleted', alice.page.locator('.message.deleted'), 1);
    await bob.count('messages shown as deleted', bob.page.locator('.message.deleted'), 1);

    await bob.act('See you at noon', 'React 👍');
    const reaction = alice.message('See you at noon').locator('.reaction[data-emoji="👍"]');
    await alice.visible(reaction.filter({ hasText: '1' }));
    await bob.visible(bob.message('See you at noon').locator('.reaction.me[data-emoji="👍"]'));

    // What the pages show is what the server holds: every message once, the deleted one without text.
    const bodies = await storedBodies(people.bob.login, await bob.openConversationId());
    expect(bodies).to.deep.equal(['Hi Bob!', 'Hello Alice', 'Good to see you here', 'See you at noon', '(deleted)']);
    for (const chat of [alice, bob]) await chat.count('messages shown', chat.page.locator('.message[data-id]'), 5);

    await screenshot(bob, 'web-chat-phone', PHONE);
  });

  it('shows a send the server refuses as failed, to retry or discard; at phone width, the list or the chat', async () => {
    const tooLong = 'x'.repeat(5_000); // over the 4 KB a message may have
    await alice.send(tooLong);
    const failed = alice.page.locator('.message[data-outbox="failed"]');
    await alice.visible(failed.filter({ hasText: 'Not sent' }));
    await failed.getByRole('button', { name: 'Discard' }).click();
    await alice.count('failed sends', failed, 0);

    await bob.page.setViewportSize(PHONE);
    const sidebar = bob.page.locator('.sidebar');
    expect(await sidebar.isVisible(), 'the open chat takes the screen').to.equal(false);
    await bob.page.getByRole('button', { name: 'Back to the conversations' }).click();
    await bob.visible(sidebar);
    expect(await bob.page.locator('.pane').isVisible()).to.equal(false);
    await bob.openConversation('Alice');
    expect(await sidebar.isVisible()).to.equal(false);
    await bob.page.setViewportSize(DESKTOP);
    await bob.visible(sidebar);
  });

  it('scrolls back through the history a page at a time', async () => {
    await registerPerson(system.auth.url, people.dave);
    // Dave writes from an SDK client in Node: seventy messages in a second or two.
    dave = sdkClient(system, [1]);
    await dave.login(people.dave.login, PASSWORD);
    await dave.connect();
    const direct = await dave.openDirect({ login: people.alice.login });
    for (let i = 1; i <= HISTORY_MESSAGES; i += 1) void dave.send(direct.id, `Dave's note ${i}`);
    await dave.settled();

    // Counted once each, though Alice's client listed the conversation while Dave's messages streamed in.
    await alice.visible(alice.listItem('Dave').locator('.badge', { hasText: String(HISTORY_MESSAGES) }));
    // The last message in the list: Alice's client holds them all (it applies them in seq order).
    await alice.visible(
      alice.listItem('Dave').locator('.last-message', { hasText: `Dave's note ${HISTORY_MESSAGES}` }),
    );
    await alice.openConversation('Dave');
    const shown = alice.page.locator('.message[data-id]');
    await alice.count('the latest page', shown, 30);
    await alice.visible(alice.message(`Dave's note ${HISTORY_MESSAGES}`));
    const list = alice.page.locator('.messages');
    await list.evaluate((element) => {
      element.scrollTop = 0;
    });
    await alice.count('two pages', shown, 60);
    await list.evaluate((element) => {
      element.scrollTop = 0;
    });
    await alice.count('every message', shown, HISTORY_MESSAGES);
    await alice.visible(alice.page.getByText('This is the beginning of the conversation.'));
    expect(await shown.first().locator('.body').textContent()).to.equal("Dave's note 1");
  });

  it('creates a group, renames it, adds and removes members', async () => {
    await registerPerson(system.auth.url, people.carol);
    await alice.createGroup('Weekend plans', [people.bob.login]);
    await alice.visible(alice.header().filter({ hasText: '2 members' }));
    await alice.send('Who is in?');
    await bob.openConversation('Weekend plans');
    await bob.visible(bob.message('Who is in?').locator('.sender', { hasText: 'Alice' }));

    await alice.header().getByRole('button', { name: 'Members' }).click();
    const panel = alice.page.getByRole('complementary', { name: 'Group members' });
    await panel.getByLabel('Group title').fill('Weekend trip');
    await panel.getByRole('button', { name: 'Rename' }).click();
    await bob.visible(bob.header().filter({ hasText: 'Weekend trip' }));
    await bob.visible(bob.listItem('Weekend trip'));

    await panel.getByLabel('Add member by login').fill(people.carol.login);
    await panel.getByRole('button', { name: 'Add' }).click();
    await alice.visible(panel.locator('.member', { hasText: `Carol (@${people.carol.login})` }));
    await bob.visible(bob.header().filter({ hasText: '3 members' }));

    await panel.locator('.member', { hasText: 'Bob' }).getByRole('button', { name: 'Remove' }).click();
    await bob.visible(bob.page.getByText('You are no longer a member of this group.'));
    await bob.count('the group in his list', bob.listItem('Weekend trip'), 0);
    await alice.count('Bob among the members', panel.locator('.member', { hasText: 'Bob' }), 0);
    await alice.visible(alice.header().filter({ hasText: '2 members' }));

    // Carol, who never opened the page, is in the renamed group with Alice.
    const carol = await post(`${system.auth.url}/login`, { login: people.carol.login, password: PASSWORD });
    const listing = await get(`${system.edges[0]?.url}/conversations`, { token: carol.body.accessToken });
    const group = (listing.body.conversations as Array<{ title?: string; members: string[] }>).find(
      (conversation) => conversation.title === 'Weekend trip',
    );
    expect(group?.members).to.have.length(2);
    await screenshot(alice, 'web-chat-group');
  });

  it('offline with her edge gone, Alice sees the banner; her sends wait and go out once, and what Bob sent arrives once', async () => {
    await alice.openConversation('Bob');
    await bob.openConversation('Alice');
    const conversationId = await alice.openConversationId();
    await screenshot(alice, 'web-chat-desktop');

    await alice.context.setOffline(true);
    await system.edges[0]?.kill();
    await alice.visible(alice.banner().filter({ hasText: 'Reconnecting…' }));

    const fromBob = ['Are you there?', 'Your train may be late', 'Call me when you land'];
    for (const text of fromBob) await bob.send(text);
    const fromAlice = ['On the train, no signal', 'Back soon'];
    for (const text of fromAlice) await alice.send(text);
    for (const text of fromAlice)
      await alice.visible(alice.outgoing(text).and(alice.page.locator('[data-outbox="pending"]')));
    await alice.visible(alice.banner().filter({ hasText: '2 messages wait to be sent.' }));
    await screenshot(alice, 'web-chat-reconnecting', PHONE);
    for (const text of fromBob) await bob.visible(bob.message(text));
    for (const text of fromAlice) expect(await bob.message(text).count(), text).to.equal(0);

    await alice.context.setOffline(false);
    await alice.gone(alice.banner());
    expect(await alice.edge(), 'edge 1 is gone: the page moved on to edge 2').to.equal(
      wsUrl(system.edges[1]?.url ?? ''),
    );
    for (const text of fromBob) await alice.count(text, alice.message(text), 1);
    for (const text of fromAlice) {
      await bob.count(text, bob.message(text), 1);
      await alice.count(text, alice.message(text), 1);
      await alice.count(`${text} still on its way`, alice.outgoing(text), 0);
    }

    // Each exactly once on the server too.
    const bodies = await storedBodies(people.alice.login, conversationId);
    for (const text of [...fromBob, ...fromAlice])
      expect(
        bodies.filter((b) => b === text),
        text,
      ).to.have.length(1);
    expect(bodies).to.have.length(10);
  });

  /** The conversation's messages as the server holds them (REST history on the live edge), for a user. */
  async function storedBodies(login: string, conversationId: string): Promise<string[]> {
    const session = await post(`${system.auth.url}/login`, { login, password: PASSWORD });
    expect(session.status, session.text).to.equal(200);
    const history = await get(`${system.edges[1]?.url}/conversations/${conversationId}/messages?afterSeq=0&limit=100`, {
      token: session.body.accessToken,
    });
    expect(history.status, history.text).to.equal(200);
    return (history.body.messages as Array<{ body?: string }>).map((message) => message.body ?? '(deleted)');
  }
});
