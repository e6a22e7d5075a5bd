/** REST calls of the admin screens (sites, users, the team's routing attributes); lazily loaded. */
import type {
  CreateSiteBody,
  CreateUserBody,
  OperatorProfile,
  PasswordReply,
  SiteAdmin,
  SiteList,
  UpdateAccountBody,
  UpdateOperatorBody,
  UpdateSiteBody,
} from '@parley/protocol';
import { call } from './api.js';

const userUrl = (id: string, rest = '') => `/api/v1/users/${encodeURIComponent(id)}${rest ? `/${rest}` : ''}`;

export async function sites(): Promise<SiteAdmin[]> {
  return (await call<SiteList>('GET', '/api/v1/sites')).sites;
}

export const createSite = (body: CreateSiteBody): Promise<SiteAdmin> =>
  call<SiteAdmin>('POST', '/api/v1/sites', body);

export const updateSite = (id: string, body: UpdateSiteBody): Promise<SiteAdmin> =>
  call<SiteAdmin>('PATCH', `/api/v1/sites/${encodeURIComponent(id)}`, body);

export const createUser = (body: CreateUserBody): Promise<{ user: OperatorProfile; password: string }> =>
  call('POST', '/api/v1/users', body);

export const updateAccount = (id: string, body: UpdateAccountBody): Promise<OperatorProfile> =>
  call<OperatorProfile>('PUT', userUrl(id, 'account'), body);

export const resetPassword = (id: string): Promise<PasswordReply> =>
  call<PasswordReply>('POST', userUrl(id, 'password'));

export const deactivate = (id: string): Promise<void> => call<void>('POST', userUrl(id, 'deactivate'));

export async function deactivated(): Promise<OperatorProfile[]> {
  return (await call<{ users: OperatorProfile[] }>('GET', '/api/v1/users/deactivated')).users;
}

export const reactivate = (id: string): Promise<OperatorProfile> =>
  call<OperatorProfile>('POST', userUrl(id, 'reactivate'));

export const updateOperator = (id: string, body: UpdateOperatorBody): Promise<OperatorProfile> =>
  call<OperatorProfile>('PATCH', userUrl(id), body);
