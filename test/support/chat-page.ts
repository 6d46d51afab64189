import type { BrowserContext, Locator, Page } from 'playwright-core';
import { eventually } from './wait.js';

/** How long a test waits for what a page should show (a push crosses both edges in milliseconds). */
const SHOWN_WITHIN_MS = 15_000;

/**
 * The web chat as a person uses it, in one browser context: what they click and type, and what
 * they read on the page (locators by role, label and visible text, so a test fails the way the
 * page would fail a person).
 */
export class ChatPage {
  readonly context: BrowserContext;
  readonly page: Page;

  constructor(context: BrowserContext, page: Page) {
    this.context = context;
    this.page = page;
  }

  /** Opens the web chat at `url` (with `?edge=N` to start on that edge). */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
  }

  async register(login: string, password: string, displayName: string): Promise<void> {
    await this.page.getByRole('button', { name: 'New here? Create an account' }).click();
    await this.page.getByLabel('Login').fill(login);
    await this.page.getByLabel('Display name').fill(displayName);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Create account' }).click();
  }

  async logIn(login: string, password: string): Promise<void> {
    await this.page.getByLabel('Login').fill(login);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Log in' }).click();
  }

  /** The chat screen once its socket has a session. */
  async ready(): Promise<void> {
    await this.page.locator('.chat[data-state="ready"]').waitFor({ timeout: SHOWN_WITHIN_MS });
  }

  /** The edge URL the page is connected to. */
  edge(): Promise<string | null> {
    return this.page.locator('.chat').getAttribute('data-edge');
  }

  banner(): Locator {
    return this.page.getByRole('status');
  }

  /** A conversation in the list, by (part of) its title. */
  listItem(title: string): Locator {
    return this.page.locator('.conversation-item', {
      has: this.page.locator('.conversation-title', { hasText: title }),
    });
  }

  async openConversation(title: string): Promise<void> {
    await this.listItem(title).click();
    await this.header().filter({ hasText: title }).waitFor({ timeout: SHOWN_WITHIN_MS });
  }

  /** The id of the conversation open on the page. */
  async openConversationId(): Promise<string> {
    const id = await this.page.locator('section.conversation').getAttribute('data-id');
    if (!id) throw new Error('no conversation is open');
    return id;
  }

  header(): Locator {
    return this.page.locator('.conversation-header');
  }

  /** Finds a user by login in "New chat" and opens the direct chat with them. */
  async openDirectWith(login: string): Promise<void> {
    await this.page.getByRole('button', { name: 'New chat' }).click();
    await this.page.getByPlaceholder('Find by login').fill(login);
    await this.page.getByRole('button', { name: 'Search' }).click();
    await this.page.locator(`.found-user[data-login="${login}"]`).click();
  }

  async createGroup(title: string, memberLogins: string[]): Promise<void> {
    await this.page.getByRole('button', { name: 'New group' }).click();
    const form = this.page.getByRole('region', { name: 'New group' });
    await form.getByLabel('Group title', { exact: true }).fill(title);
    await form.getByLabel('Members', { exact: true }).fill(memberLogins.join(', '));
    await form.getByRole('button', { name: 'Create group' }).click();
    await this.header().filter({ hasText: title }).waitFor({ timeout: SHOWN_WITHIN_MS });
  }

  composer(): Locator {
    return this.page.getByRole('textbox', { name: 'Message' });
  }

  /** Types like a person (each key a keystroke, so `typing` goes out) and sends with Enter. */
  async type(text: string): Promise<void> {
    await this.composer().pressSequentially(text, { delay: 15 });
  }

  async send(text: string): Promise<void> {
    await this.composer().fill(text);
    await this.composer().press('Enter');
  }

  /** Stored messages whose text is exactly `text`. */
  message(text: string): Locator {
    return this.page.locator('.message[data-id]', { has: this.page.locator('.body', { hasText: exactly(text) }) });
  }

  /** Messages still on their way (pending or failed) whose text is exactly `text`. */
  outgoing(text: string): Locator {
    return this.page.locator('.message[data-outbox]', { has: this.page.locator('.body', { hasText: exactly(text) }) });
  }

  /** Opens a message's actions (⋯) and picks one (Reply, Edit, Delete, or `React 👍`). */
  async act(text: string, action: string): Promise<void> {
    const message = this.message(text);
    await message.getByRole('button', { name: 'Message actions' }).click();
    await message.getByRole('button', { name: action, exact: true }).click();
  }

  /** The send status of one of your messages: sent, delivered or read. */
  ticks(text: string): Promise<string | null> {
    return this.message(text).locator('.ticks').getAttribute('data-status');
  }

  typingLine(): Locator {
    return this.page.locator('.typing');
  }

  /** Waits until `locator` matches exactly `count` elements. */
  async count(what: string, locator: Locator, count: number): Promise<void> {
    await eventually(`${what}: ${count}`, async () => (await locator.count()) === count, SHOWN_WITHIN_MS, 50);
  }

  /** Waits until `read()` gives `expected`. */
  async until<T>(what: string, read: () => Promise<T>, expected: T): Promise<void> {
    let last: T | undefined;
    await eventually(
      `${what} to be ${String(expected)}`,
      async () => {
        last = await read();
        return last === expected;
      },
      SHOWN_WITHIN_MS,
      50,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (last: ${String(last)})`);
    });
  }

  visible(locator: Locator): Promise<void> {
    return locator.first().waitFor({ state: 'visible', timeout: SHOWN_WITHIN_MS });
  }

  gone(locator: Locator): Promise<void> {
    return locator.first().waitFor({ state: 'hidden', timeout: SHOWN_WITHIN_MS });
  }
}

function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}
