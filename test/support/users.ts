import { expect } from 'chai';
import { post } from './http.js';
import { RUN_ID } from './test-environment.js';

let counter = 0;

/** A login no other test (or run) uses: at most 32 characters. */
export function uniqueLogin(tag = 'u'): string {
  counter += 1;
  return `${tag}${counter}-${RUN_ID}`.slice(0, 32);
}

export const PASSWORD = 'correct horse battery';

export interface TestUser {
  id: string;
  login: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers and logs in a fresh user through the real auth service. */
export async function registerUser(authUrl: string, tag?: string): Promise<TestUser> {
  const login = uniqueLogin(tag);
  const registered = await post(`${authUrl}/register`, { login, password: PASSWORD });
  expect(registered.status, registered.text).to.equal(201);
  const session = await post(`${authUrl}/login`, { login, password: PASSWORD });
  expect(session.status, session.text).to.equal(200);
  return {
    id: registered.body.id,
    login,
    accessToken: session.body.accessToken,
    refreshToken: session.body.refreshToken,
  };
}
