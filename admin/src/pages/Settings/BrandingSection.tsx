import { useEffect, useState, type ChangeEvent, type ReactNode } from 'react';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import {
  Box,
  Button,
  Field,
  Flex,
  Grid,
  SingleSelect,
  SingleSelectOption,
  Textarea,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { Check } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import type { BrandingView, SettingsView } from '../../utils/types';

interface Props {
  branding: BrandingView;
  canUpdate: boolean;
  onSaved: (view: SettingsView) => void;
}

interface MediaFile {
  id: number;
  name: string;
  url: string;
  mime: string;
}

type TextKey = 'name' | 'address' | 'taxId' | 'accentColor' | 'footerText' | 'paymentInstructions';
type Form = Record<TextKey, string> & { logoFileId: string };

const toForm = (b: BrandingView): Form => ({
  name: b.name ?? '',
  address: b.address ?? '',
  taxId: b.taxId ?? '',
  accentColor: b.accentColor ?? '',
  footerText: b.footerText ?? '',
  paymentInstructions: b.paymentInstructions ?? '',
  logoFileId: b.logoFileId ? String(b.logoFileId) : '',
});

const NO_LOGO = 'none';

/**
 * Seller branding (server/src/services/settings-branding.ts): on the pay pages, the invoice PDF,
 * receipts and every email. The logo is an image of Strapi's media library (PNG or JPEG, at most
 * 1 MB); a new one can be uploaded here. Saved on its own, with its own button.
 */
export const BrandingSection = ({ branding, canUpdate, onSaved }: Props) => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string) => formatMessage({ id: getTranslation(id), defaultMessage });
  const { get, put, post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [form, setForm] = useState<Form>(toForm(branding));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [files, setFiles] = useState<MediaFile[]>([]);
  const [busy, setBusy] = useState<'save' | 'upload' | null>(null);

  const loadFiles = async () => {
    try {
      const res = await get<{ results: MediaFile[] }>(
        '/upload/files?filters[mime][$in][0]=image/png&filters[mime][$in][1]=image/jpeg&pageSize=100&sort=updatedAt:DESC',
      );
      setFiles(res.data.results ?? []);
    } catch {
      // No permission to read the media library: only "no logo" and the current one are offered.
      setFiles([]);
    }
  };
  useEffect(() => {
    void loadFiles();
    // Loaded once; an upload reloads it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const set = (key: keyof Form, value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => ({ ...e, [key]: '' }));
  };

  const upload = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    if (!['image/png', 'image/jpeg'].includes(file.type) || file.size > 1024 * 1024) {
      setErrors((e) => ({
        ...e,
        logoFileId: t('settings.branding.logo.invalid', 'Choose a PNG or JPEG of at most 1 MB.'),
      }));
      return;
    }
    setBusy('upload');
    try {
      const body = new FormData();
      body.append('files', file);
      const res = await post<MediaFile[]>('/upload', body);
      await loadFiles();
      const uploaded = res.data[0];
      if (uploaded) set('logoFileId', String(uploaded.id));
    } catch (error) {
      toggleNotification({
        type: 'danger',
        message: readApiError(error, t('settings.branding.uploadFailed', 'The logo could not be uploaded.')).message,
      });
    } finally {
      setBusy(null);
    }
  };

  const save = async () => {
    setBusy('save');
    try {
      const res = await put<{ data: SettingsView }>(`/${PLUGIN_ID}/settings`, {
        branding: {
          name: form.name,
          address: form.address,
          taxId: form.taxId,
          accentColor: form.accentColor.trim(),
          footerText: form.footerText,
          paymentInstructions: form.paymentInstructions,
          logoFileId: form.logoFileId ? Number(form.logoFileId) : null,
        },
      });
      onSaved(res.data.data);
      setForm(toForm(res.data.data.branding));
      setErrors({});
      toggleNotification({ type: 'success', message: t('settings.branding.saved', 'Branding saved') });
    } catch (error) {
      const problem = readApiError(error, t('settings.saveFailed', 'The settings could not be saved.'));
      // Field paths arrive as "branding.accentColor".
      const fields = Object.entries(problem.fields).filter(([k]) => k.startsWith('branding.'));
      setErrors(Object.fromEntries(fields.map(([k, v]) => [k.slice('branding.'.length), v])));
      // A field's own message is shown under it: the notice says where to look, not the field's path.
      const onFields = fields.length > 0;
      toggleNotification({
        type: 'danger',
        message: onFields
          ? t('settings.branding.checkFields', 'Branding was not saved: see the message under the field.')
          : problem.message,
      });
    } finally {
      setBusy(null);
    }
  };

  const column = (col: number, children: ReactNode) => (
    <Grid.Item col={col} s={12} direction="column" alignItems="stretch">
      {children}
    </Grid.Item>
  );
  const text = (key: TextKey, label: string, hint?: string, multiline = false) => (
    <Field.Root name={`branding-${key}`} error={errors[key] || undefined} hint={hint}>
      <Field.Label>{label}</Field.Label>
      {multiline ? (
        <Textarea
          value={form[key]}
          disabled={!canUpdate}
          onChange={(e: { target: { value: string } }) => set(key, e.target.value)}
        />
      ) : (
        <TextInput
          value={form[key]}
          disabled={!canUpdate}
          onChange={(e: { target: { value: string } }) => set(key, e.target.value)}
        />
      )}
      {hint ? <Field.Hint /> : null}
      <Field.Error />
    </Field.Root>
  );
  const selected = files.find((f) => String(f.id) === form.logoFileId);

  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
      <Flex direction="column" alignItems="stretch" gap={4}>
        <Flex direction="column" alignItems="flex-start" gap={1}>
          <Typography variant="delta" tag="h2">
            {t('settings.branding.title', 'Branding')}
          </Typography>
          <Typography variant="pi" textColor="neutral600">
            {t(
              'settings.branding.intro',
              'Your name, address, logo and colour on the pay pages, invoice PDFs, receipts and emails. Leave everything empty for the neutral look.',
            )}
          </Typography>
        </Flex>
        <Grid.Root gap={4}>
          {column(6, text('name', t('settings.branding.name', 'Seller name')))}
          {column(6, text('taxId', t('settings.branding.taxId', 'Tax id (VAT, EIN…)')))}
          {column(6, text('address', t('settings.branding.address', 'Address'), undefined, true))}
          {column(
            6,
            text(
              'paymentInstructions',
              t('settings.branding.paymentInstructions', 'Payment instructions'),
              t('settings.branding.paymentInstructions.hint', 'On the invoice PDF, e.g. your bank details.'),
              true,
            ),
          )}
          {column(
            6,
            <Field.Root name="branding-logo" error={errors.logoFileId || undefined}>
              <Field.Label>{t('settings.branding.logo', 'Logo (media library)')}</Field.Label>
              <SingleSelect
                value={form.logoFileId || NO_LOGO}
                disabled={!canUpdate}
                onChange={(v: string | number) => set('logoFileId', String(v) === NO_LOGO ? '' : String(v))}
              >
                <SingleSelectOption value={NO_LOGO}>{t('settings.branding.noLogo', 'No logo')}</SingleSelectOption>
                {form.logoFileId && !selected ? (
                  <SingleSelectOption value={form.logoFileId}>
                    {t('settings.branding.currentLogo', 'Current logo')}
                  </SingleSelectOption>
                ) : null}
                {files.map((f) => (
                  <SingleSelectOption key={f.id} value={String(f.id)}>
                    {f.name}
                  </SingleSelectOption>
                ))}
              </SingleSelect>
              <Field.Error />
              {canUpdate && (
                <Box paddingTop={2}>
                  <label>
                    <Typography variant="pi" textColor="neutral600">
                      {t('settings.branding.upload', 'Or upload a PNG or JPEG to the media library:')}{' '}
                    </Typography>
                    <input
                      type="file"
                      name="branding-logo-upload"
                      accept="image/png,image/jpeg"
                      disabled={busy === 'upload'}
                      onChange={(e) => void upload(e)}
                    />
                  </label>
                </Box>
              )}
              {selected && (
                <Box paddingTop={2}>
                  <img src={selected.url} alt="" style={{ maxHeight: 48, maxWidth: 200 }} />
                </Box>
              )}
            </Field.Root>,
          )}
          {column(
            6,
            text(
              'accentColor',
              t('settings.branding.accentColor', 'Accent colour'),
              t('settings.branding.accentColor.hint', 'A # and six hexadecimal digits, e.g. #1f6feb. Empty: neutral.'),
            ),
          )}
          {column(12, text('footerText', t('settings.branding.footerText', 'Footer text'), undefined, true))}
        </Grid.Root>
        {canUpdate && (
          <Flex justifyContent="flex-end">
            <Button type="button" startIcon={<Check />} loading={busy === 'save'} onClick={() => void save()}>
              {t('settings.branding.save', 'Save branding')}
            </Button>
          </Flex>
        )}
      </Flex>
    </Box>
  );
};
