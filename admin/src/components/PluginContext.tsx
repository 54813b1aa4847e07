import { createContext, useContext, type ReactNode } from 'react';
import { PLUGIN_ID } from '../pluginId';
import { useApiGet } from '../hooks/useApiGet';
import type { PluginStatus } from '../utils/types';

interface PluginContextValue {
  /** Where the plugin's page is mounted ("/plugins/invoice-payments" in the admin). */
  base: string;
  status: PluginStatus | null;
}

const PluginContext = createContext<PluginContextValue>({ base: '', status: null });

/** Loads the mode (TEST MODE badge) once for every screen of the plugin's page. */
export const PluginProvider = ({ base, children }: { base: string; children: ReactNode }) => {
  // Without it the screens still work, just without the badge: its error is never shown.
  const { data } = useApiGet<{ data: PluginStatus }>(`/${PLUGIN_ID}/status`, 'status unavailable');
  return (
    <PluginContext.Provider value={{ base: base.replace(/\/+$/, ''), status: data?.data ?? null }}>
      {children}
    </PluginContext.Provider>
  );
};

export const usePlugin = () => useContext(PluginContext);

/** An absolute path inside the plugin's page, e.g. pluginPath(base, 'invoices', id). */
export const pluginPath = (base: string, ...segments: string[]) =>
  [base, ...segments.map(encodeURIComponent)].join('/') || '/';
