import { Account, Organization, OrganizationalUnit } from '../accounts';
import { Flowchart, mermaidId, MermaidDiagram } from './mermaid';

/** The Mermaid id of the OU at `path`. */
export function ouNodeId(path: string): string {
  return mermaidId('ou', path);
}

/** The Mermaid id of the account named `name`. */
export function accountNodeId(name: string): string {
  return mermaidId('acct', name);
}

/**
 * The organization as a flowchart: the root and the management account,
 * each OU as a box nested in its parent's with its accounts (name, id,
 * role) inside, and the environments in promotion order, each pointing at
 * its workload account with its regions. Its size follows the OUs and
 * accounts, never the number of services.
 */
export function organizationDiagram(organization: Organization): MermaidDiagram {
  const chart = new Flowchart('TB');
  const root = chart.node('org_root', [`Root: ${organization.name}`, `${organization.id} / ${organization.rootId}`], 'stadium');
  const management = chart.node(accountNodeId(organization.managementAccount.name),
    [organization.managementAccount.name, organization.managementAccount.id, 'management account'], 'box');
  chart.edge(root, management, undefined, 'line');

  // In the declaration's order (the model keeps it): the platform team's reading order, and stable.
  const accountsIn = (path: string) => organization.accounts.filter(a => a.ou === path);
  const childrenOf = (parent: string | undefined) => organization.organizationalUnits.filter(u => u.parentPath === parent);
  const account = (a: Account) => chart.node(accountNodeId(a.name), [a.name, a.id, `role: ${a.role}`]);
  const ou = (unit: OrganizationalUnit): void => {
    chart.subgraph(ouNodeId(unit.path), [`OU ${unit.name}`, unit.id], () => {
      const accounts = accountsIn(unit.path);
      const children = childrenOf(unit.path);
      accounts.forEach(account);
      children.forEach(ou);
      // An empty box would be drawn as a bare title: say it is empty.
      if (accounts.length === 0 && children.length === 0) chart.node(mermaidId('empty', unit.path), ['no accounts'], 'round');
    });
  };
  const topLevel = childrenOf(undefined);
  topLevel.forEach(ou);
  for (const unit of topLevel) chart.edge(root, ouNodeId(unit.path));

  chart.subgraph('environments', ['Environments, in promotion order'], () => {
    for (const env of organization.environments) {
      chart.node(mermaidId('env', env.name), [
        `${env.order + 1}. ${env.name}${env.production ? ' (production)' : ''}`,
        ...(env.manualApproval ? ['manual approval before it'] : []),
      ], 'hexagon');
    }
  }, 'LR');
  organization.environments.forEach((env, i) => {
    if (i > 0) chart.edge(mermaidId('env', organization.environments[i - 1].name), mermaidId('env', env.name));
    chart.edge(mermaidId('env', env.name), accountNodeId(env.account.name), env.regions.join(', '), 'dotted');
  });
  return chart.render();
}
