import { useCallback, useEffect, useRef, useState } from 'react';
import { useFetchClient } from '@strapi/strapi/admin';
import { readApiError, type ApiProblem } from '../utils/api';

/**
 * Loads one admin API resource and reloads it when the URL changes. Answers that arrive after a
 * newer request was made are dropped, so fast filter changes cannot show stale rows.
 */
export function useApiGet<T>(url: string | null, fallbackError: string) {
  const { get } = useFetchClient();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiProblem | null>(null);
  const [isLoading, setLoading] = useState(url !== null);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    if (url === null) return;
    const ticket = ++latest.current;
    setLoading(true);
    get<T>(url)
      .then((res) => {
        if (ticket !== latest.current) return;
        setData(res.data);
        setError(null);
      })
      .catch((e: unknown) => {
        if (ticket !== latest.current) return;
        setError(readApiError(e, fallbackError));
      })
      .finally(() => {
        if (ticket === latest.current) setLoading(false);
      });
    // `get` is a new function on every render; the URL is what identifies the request.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, setData, error, isLoading, reload };
}
