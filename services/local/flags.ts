/**
 * Feature flags on the local stage. Each service that declares flags gets
 * its flag data (services/feature-flags.ts, `flagData`: what AppConfig
 * serves when deployed) in a file of the stage's state folder, which its
 * functions read (`FEATURE_FLAGS_FILE`; services/runtime/flags.ts reads it
 * again at most every second). The settings start as the manifest's local
 * ones (`local`, else the first environment's), and change while the stage
 * runs through the control endpoint (`/_local/flags/...`), validated by the
 * same checks as the manifest: what AppConfig would refuse, the stage
 * refuses too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FieldPath, formatValue, predicateMessages, problem, valueAt } from '../../accounts';
import { checkFlags, FlagCheckContext, FlagData, flagData, FlagDeclaration, FlagSchema, flagSettings } from '../feature-flags';
import { deploysTo, Service, ServiceManifest } from '../service-model';

/** The path of the flags endpoints on the stage's control endpoint. */
export const FLAGS_PATH = '/_local/flags';

/** A flag's setting, in the manifest's shape: `true`, `false`, or `{ value, targeting? }`. */
export type FlagSetting = NonNullable<FlagDeclaration['local']>;

/** An answer of the flags endpoints. */
export interface FlagsAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** Options of {@link LocalFlags}. */
export interface LocalFlagsOptions {
  /** The services on the stage; those that declare flags get a file. */
  readonly services: readonly Service[];
  /** Every environment of the organization, in promotion order (the stage mirrors the first). */
  readonly environments: readonly string[];
  /** The folder the files are written to (created if missing): one `<service>.json` per service with flags. */
  readonly dir: string;
}

/** The flags of one service on the stage. */
interface ServiceState {
  readonly service: Service;
  readonly file: string;
  readonly check: FlagCheckContext;
  /** The environment whose settings the stage starts from when a flag declares no `local`. */
  readonly firstEnvironment: string;
  /** The settings the stage started with: what a restart gives. */
  readonly declared: Readonly<Record<string, FlagSetting>>;
  /** The manifest with each flag's `local` set to its current setting. */
  current: ServiceManifest;
}

/** The flags of the services on a local stage: their files, and their settings as they change. */
export class LocalFlags {
  private readonly states = new Map<string, ServiceState>();
  private readonly names: readonly string[];

  /** Writes the file of each service that declares flags, with its local settings. */
  constructor(options: LocalFlagsOptions) {
    this.names = options.services.map(s => s.manifest.name);
    for (const service of options.services) {
      const m = service.manifest;
      if (Object.keys(m.flags).length === 0) continue;
      // The first environment the service deploys to: the stage mirrors the organization's first.
      const environments = options.environments.filter(e => deploysTo(m, e));
      const firstEnvironment = environments[0] ?? options.environments[0];
      const declared = Object.fromEntries(Object.entries(m.flags).map(([name, flag]) =>
        [name, flag.local ?? flag.environments[firstEnvironment]]));
      const state: ServiceState = {
        service,
        file: path.join(options.dir, `${m.name}.json`),
        check: { file: `${service.folder}/service.ts`, dir: service.dir, folder: service.folder, environments, allEnvironments: options.environments },
        firstEnvironment,
        declared,
        current: withLocal(m, declared),
      };
      this.states.set(m.name, state);
    }
    if (this.states.size > 0) fs.mkdirSync(options.dir, { recursive: true });
    for (const state of this.states.values()) writeAtomically(state.file, this.data(state));
  }

  /** The services that declare flags, in the order given. */
  public services(): string[] {
    return [...this.states.keys()];
  }

  /** The names of the flags of `service`, as declared. */
  public flagsOf(service: string): string[] {
    return Object.keys(this.states.get(service)?.current.flags ?? {});
  }

  /** The flags file of `service`; undefined when it declares no flags. */
  public fileOf(service: string): string | undefined {
    return this.states.get(service)?.file;
  }

  /** The flags of `service`: each flag's current setting, the setting the stage started with, and the data its functions read. */
  public get(service: string): FlagsAnswer {
    const state = this.states.get(service);
    if (!state) return this.unknownService(service);
    return {
      status: 200,
      body: {
        service,
        file: state.file,
        settings: this.settings(state),
        declared: state.declared,
        data: this.data(state),
      },
    };
  }

  /**
   * Sets the setting of one flag (`input`, in the manifest's shape) and
   * rewrites the service's file. Validated as the manifest is: the flag's
   * schema (zod), then {@link checkFlags} on a copy of the manifest whose
   * flag has `input` as its `local`; 400 with each problem (field, value,
   * what is allowed), 404 for a service or flag that is not there.
   */
  public set(service: string, flag: string, input: unknown): FlagsAnswer {
    const state = this.states.get(service);
    if (!state) return this.unknownService(service);
    if (!Object.hasOwn(state.current.flags, flag)) {
      return { status: 404, body: { message: `${service} declares no flag "${flag}" (${state.check.file}); flags: ${Object.keys(state.current.flags).join(', ')}` } };
    }
    const declaration = state.current.flags[flag];
    const where = `PUT ${FLAGS_PATH}/${service}/${flag}`;
    // The setting's fields in messages: the body's own, not the manifest's.
    const field = (fieldPath: FieldPath) => ['body', ...fieldPath];
    const parsed = FlagSchema.safeParse({ ...declaration, local: input }, { error: predicateMessages });
    if (!parsed.success) {
      return refused(parsed.error.issues.map(issue => {
        const within = issue.path.slice(1);
        // As the manifest's validation: an unknown field's value is the whole object; leave it out.
        const value = issue.code === 'unrecognized_keys' ? undefined : valueAt(input, within);
        return problem(where, field(within), value, issue.message);
      }));
    }
    const candidate: ServiceManifest = { ...state.current, flags: { ...state.current.flags, [flag]: parsed.data } };
    const prefix = problem(state.check.file, ['flags', flag, 'local'], undefined, '').trimEnd();
    const problems = checkFlags(candidate, state.check).problems.map(line =>
      // The checks name the manifest's field (flags.<flag>.local...): name the body's instead.
      line.startsWith(prefix) ? `${where}: body${line.slice(prefix.length)}` : line);
    if (problems.length > 0) return refused(problems);
    state.current = candidate;
    const data = this.data(state);
    writeAtomically(state.file, data);
    return { status: 200, body: { service, flag, setting: parsed.data.local, data: data[flag] } };
  }

  /**
   * Answers a request of the control endpoint under {@link FLAGS_PATH}:
   * `GET /_local/flags` (the services with flags), `GET /_local/flags/<service>`,
   * `PUT /_local/flags/<service>/<flag>` with a JSON setting as the body.
   */
  public handle(method: string, pathname: string, body: string): FlagsAnswer {
    const allowed = `allowed: GET ${FLAGS_PATH}, GET ${FLAGS_PATH}/<service>, PUT ${FLAGS_PATH}/<service>/<flag>`;
    const rest = pathname.slice(FLAGS_PATH.length).replace(/^\/+|\/+$/g, '');
    let segments: string[];
    try {
      segments = rest === '' ? [] : rest.split('/').map(decodeURIComponent);
    } catch {
      return { status: 404, body: { message: `${pathname} is not a flags path; ${allowed}` } };
    }
    if (segments.length === 0 && method === 'GET') return { status: 200, body: { services: this.services() } };
    if (segments.length === 1 && method === 'GET') return this.get(segments[0]);
    if (segments.length === 2 && method === 'PUT') {
      let input: unknown;
      try {
        input = JSON.parse(body);
      } catch {
        const shown = body.length > 60 ? `${body.slice(0, 57)}...` : body;
        return refused([`PUT ${FLAGS_PATH}/${segments[0]}/${segments[1]}: body ${formatValue(shown)} is not JSON; `
          + 'allowed: true, false, or { "value": ..., "targeting": { "merchants": [...], "percent": n } }']);
      }
      return this.set(segments[0], segments[1], input);
    }
    if (segments.length <= 2) return { status: 405, body: { message: `${method} ${pathname} is not allowed; ${allowed}` } };
    return { status: 404, body: { message: `${pathname} is not a flags path; ${allowed}` } };
  }

  private settings(state: ServiceState): Record<string, FlagSetting> {
    return Object.fromEntries(Object.entries(state.current.flags).map(([name, flag]) => [name, flag.local!]));
  }

  private data(state: ServiceState): FlagData {
    return flagData(state.current, flagSettings(state.current, { local: true, firstEnvironment: state.firstEnvironment }));
  }

  private unknownService(service: string): FlagsAnswer {
    const reason = this.names.includes(service) ? `service ${service} declares no flags` : `no service ${service} on this stage`;
    const withFlags = this.services();
    return { status: 404, body: { message: `${reason}; services with flags: ${withFlags.length > 0 ? withFlags.join(', ') : '(none)'}` } };
  }
}

/** The manifest with each flag's `local` replaced by `settings`. */
function withLocal(m: ServiceManifest, settings: Readonly<Record<string, FlagSetting>>): ServiceManifest {
  return { ...m, flags: Object.fromEntries(Object.entries(m.flags).map(([name, flag]) => [name, { ...flag, local: settings[name] }])) };
}

function refused(problems: readonly string[]): FlagsAnswer {
  return { status: 400, body: { message: problems.join('; '), errors: problems } };
}

/**
 * Writes the file through a rename: a function reading it mid-write would
 * find no JSON, and the runtime then waits 5 seconds before reading again.
 */
function writeAtomically(file: string, data: FlagData): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(data, undefined, 2)}\n`);
  fs.renameSync(temporary, file);
}
