import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  EnableAllFeaturesCommand,
  EnableAWSServiceAccessCommand,
  EnablePolicyTypeCommand,
  ListAccountsForParentCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListCreateAccountStatusCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
  OrganizationsServiceException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';

/** An AWS service error as the SDK raises it (with `$metadata`, so the tool treats it as AWS's answer). */
export function awsError(name: string, message = name): OrganizationsServiceException {
  return new OrganizationsServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

/** One account of the fake. */
export interface FakeAccount { id: string; name: string; email: string; parentId: string; state?: string }
/** One OU of the fake. */
export interface FakeOu { id: string; name: string; parentId: string }

/**
 * A small in-memory AWS Organizations behind aws-sdk-client-mock: enough of
 * the API for the tool's reads and writes, paged `pageSize` items at a time
 * (with an empty page first, as AWS may send), with hooks to inject failures.
 */
export class FakeOrganization {
  public exists = true;
  public featureSet = 'ALL';
  public readonly rootId = 'r-fake';
  public policyTypes = new Set<string>(['SERVICE_CONTROL_POLICY']);
  public services = new Set<string>();
  public ous: FakeOu[] = [];
  public accounts: FakeAccount[] = [{ id: '100000000000', name: 'management', email: 'mgmt@test.example', parentId: 'r-fake' }];
  /** CreateAccount requests: id to the state DescribeCreateAccountStatus answers, in order (last one repeats). */
  public creations = new Map<string, { name: string; email: string; states: { State: string; FailureReason?: string }[] }>();
  /** Failure reason for the next creation of an email, or how many polls it stays IN_PROGRESS. */
  public creationOutcome = new Map<string, { failureReason?: string; pollsInProgress?: number }>();
  /** Errors thrown by the next calls of a command, by command name, in order. */
  public failNext = new Map<string, Error[]>();
  /** Items per page of every list call. */
  public pageSize = 2;
  public readonly calls: { command: string; input: unknown }[] = [];
  private readonly mock: { restore(): void };
  private nextId = 1;

  constructor() {
    const m = mockClient(OrganizationsClient);
    const on = <I extends object, O extends object>(
      command: new (input: I) => { input: I },
      handler: (input: I) => O,
    ) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- aws-sdk-client-mock's overloads need the command class as is
      m.on(command as any).callsFake((input: I) => {
        const name = command.name.replace(/Command$/, '');
        this.calls.push({ command: name, input });
        const failure = this.failNext.get(name)?.shift();
        if (failure) throw failure;
        return handler(input);
      });
    };
    on(DescribeOrganizationCommand, () => {
      if (!this.exists) throw awsError('AWSOrganizationsNotInUseException');
      return {
        Organization: {
          Id: 'o-fakeorg123',
          Arn: 'arn:aws:organizations::100000000000:organization/o-fakeorg123',
          MasterAccountId: '100000000000',
          MasterAccountEmail: 'mgmt@test.example',
          FeatureSet: this.featureSet,
        },
      };
    });
    on(CreateOrganizationCommand, () => {
      this.exists = true;
      return {};
    });
    on(ListRootsCommand, () => ({
      Roots: [{ Id: this.rootId, PolicyTypes: [...this.policyTypes].map(Type => ({ Type, Status: 'ENABLED' })) }],
    }));
    on(ListOrganizationalUnitsForParentCommand, input =>
      this.page(this.ous.filter(o => o.parentId === input.ParentId).map(o => ({ Id: o.id, Name: o.name })), input.NextToken,
        items => ({ OrganizationalUnits: items })));
    on(ListAccountsForParentCommand, input =>
      this.page(this.accounts.filter(a => a.parentId === input.ParentId)
        .map(a => ({ Id: a.id, Name: a.name, Email: a.email, State: a.state ?? 'ACTIVE' })), input.NextToken, items => ({ Accounts: items })));
    on(ListAWSServiceAccessForOrganizationCommand, input =>
      this.page([...this.services].map(ServicePrincipal => ({ ServicePrincipal })), input.NextToken,
        items => ({ EnabledServicePrincipals: items })));
    on(ListCreateAccountStatusCommand, input =>
      this.page([...this.creations.entries()].filter(([, c]) => c.states[0].State === 'IN_PROGRESS')
        .map(([Id, c]) => ({ Id, AccountName: c.name, State: 'IN_PROGRESS' })), input.NextToken, items => ({ CreateAccountStatuses: items })));
    on(EnableAllFeaturesCommand, () => ({ Handshake: { Id: 'h-fake' } }));
    on(EnablePolicyTypeCommand, input => {
      this.policyTypes.add(input.PolicyType!);
      return {};
    });
    on(EnableAWSServiceAccessCommand, input => {
      this.services.add(input.ServicePrincipal!);
      return {};
    });
    on(CreateOrganizationalUnitCommand, input => {
      if (this.ous.some(o => o.parentId === input.ParentId && o.name === input.Name)) throw awsError('DuplicateOrganizationalUnitException');
      const ou = { id: `ou-fake-${String(this.nextId++).padStart(8, '0')}`, name: input.Name!, parentId: input.ParentId! };
      this.ous.push(ou);
      return { OrganizationalUnit: { Id: ou.id, Name: ou.name } };
    });
    on(CreateAccountCommand, input => {
      const id = `car-${this.nextId++}`;
      const outcome = this.creationOutcome.get(input.Email!) ?? {};
      const states = [...Array(outcome.pollsInProgress ?? 0).fill({ State: 'IN_PROGRESS' }),
        outcome.failureReason ? { State: 'FAILED', FailureReason: outcome.failureReason } : { State: 'SUCCEEDED' }];
      this.creations.set(id, { name: input.AccountName!, email: input.Email!, states: [{ State: 'IN_PROGRESS' }, ...states] });
      return { CreateAccountStatus: { Id: id, State: 'IN_PROGRESS' } };
    });
    on(DescribeCreateAccountStatusCommand, input => {
      const creation = this.creations.get(input.CreateAccountRequestId!)!;
      if (creation.states.length > 1) creation.states.shift();
      const state = creation.states[0];
      if (state.State === 'SUCCEEDED' && !this.accounts.some(a => a.email === creation.email)) {
        this.accounts.push({ id: `2000000000${String(this.nextId++).padStart(2, '0')}`, name: creation.name, email: creation.email, parentId: this.rootId });
      }
      const accountId = this.accounts.find(a => a.email === creation.email)?.id;
      return { CreateAccountStatus: { Id: input.CreateAccountRequestId, ...state, AccountId: state.State === 'SUCCEEDED' ? accountId : undefined } };
    });
    on(MoveAccountCommand, input => {
      const account = this.accounts.find(a => a.id === input.AccountId)!;
      if (account.parentId === input.DestinationParentId) throw awsError('DuplicateAccountException');
      if (account.parentId !== input.SourceParentId) throw awsError('SourceParentNotFoundException');
      account.parentId = input.DestinationParentId!;
      return {};
    });
    this.mock = m;
  }

  /** A client whose calls this fake answers. */
  client(): OrganizationsClient {
    return new OrganizationsClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  }

  /** Names of the commands called, in order. */
  commandNames(): string[] {
    return this.calls.map(c => c.command);
  }

  /** Adds an OU under `parentId` (default: the root); returns its id. */
  addOu(name: string, parentId: string = this.rootId): string {
    const id = `ou-fake-${String(this.nextId++).padStart(8, '0')}`;
    this.ous.push({ id, name, parentId });
    return id;
  }

  /** Removes the mock from OrganizationsClient. */
  restore(): void {
    this.mock.restore();
  }

  private page<T, O>(items: readonly T[], token: string | undefined, wrap: (items: T[]) => O): O & { NextToken?: string } {
    // Token "0" is an empty first page, as AWS may return.
    if (token === undefined) return { ...wrap([]), NextToken: '0' };
    const start = Number(token);
    const next = start + this.pageSize;
    return { ...wrap(items.slice(start, next)), NextToken: next < items.length ? String(next) : undefined };
  }
}
