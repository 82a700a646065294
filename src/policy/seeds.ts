/** The Azure Machine Learning and Microsoft Foundry documentation the rules come from, kept in docs/sources/. */
export const SEEDS = {
  "000": {
    file: "000_6cab3da97ee44327.txt",
    title: "How to secure managed online endpoints with network isolation",
  },
  "001": {
    file: "001_0740f5fdf57db61a.txt",
    title: "Network isolation with managed online endpoints",
  },
  "002": {
    file: "002_21e02b693d5cdaa3.txt",
    title: "Secure online endpoints with Azure Virtual Network",
  },
  "003": {
    file: "003_51e1e1baee4a3a56.txt",
    title: "Use network isolation with managed online endpoints",
  },
  "004": {
    file: "004_9e60aa9f71986d48.txt",
    title: "Network traffic flow when using a secured workspace",
  },
  "configure-private-link": {
    file: "configure-private-link.md",
    title: "Configure a private endpoint for an Azure Machine Learning workspace",
  },
  "foundry-private-link": {
    file: "foundry-private-link.md",
    title: "How to configure network isolation for Microsoft Foundry",
  },
  "foundry-managed-network": {
    file: "foundry-managed-network.md",
    title: "How to configure a managed virtual network for Foundry",
  },
  "foundry-agent-network": {
    file: "foundry-agent-network.md",
    title: "Foundry Agent Service and virtual networks",
  },
  "private-endpoint-dns": {
    file: "private-endpoint-dns.md",
    title: "Azure Private Endpoint private DNS zone values",
  },
  "ml-managed-network": {
    file: "ml-managed-network.md",
    title: "Workspace managed virtual network isolation",
  },
  "service-tags": {
    file: "service-tags.md",
    title: "Virtual network service tags",
  },
  "hub-private-link": {
    file: "hub-private-link.md",
    title: "How to configure a private link for a Foundry hub: the hub's default resources",
  },
  "ml-compute-network": {
    file: "ml-compute-network.md",
    title: "Secure an Azure Machine Learning training environment: compute instances and clusters",
  },
  "custom-dns": {
    file: "custom-dns.md",
    title: "How to use your workspace with a custom DNS server",
  },
} as const;

export type SeedId = keyof typeof SEEDS;
